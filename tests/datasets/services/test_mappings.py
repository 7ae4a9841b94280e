"""Mapping profiles: a required field without a column is refused by name; a changed
mapping is a new version of the profile, an unchanged one is not."""

from __future__ import annotations

from pathlib import Path

import pytest

from backoffice.exceptions import ApplicationError
from datasets import services
from datasets.models import DatasetVersion, MappingProfile
from datasets.pipeline.mapping import MappingSpec
from tests.datasets.conftest import HEADER
from tests.factories.extracts import profiled_upload

pytestmark = pytest.mark.django_db


def test_a_mapping_missing_a_required_field_is_refused_with_its_name(
    tmp_path: Path, media: Path
) -> None:
    upload = profiled_upload(tmp_path, HEADER + "21-1;ouvert;rupture;01/01/2024;;X\n")
    profile = services.mapping_save(
        family="shortages",
        name="Incomplet",
        spec=MappingSpec(
            columns={"product_name": "Spécialité", "declared_on": "Date de déclaration"}
        ),
        columns=[c["name"] for c in upload.columns],
        user=None,
    )
    with pytest.raises(ApplicationError) as info:
        services.version_create(upload=upload, mapping=profile, user=None)
    assert "« Classification »" in info.value.message
    assert not DatasetVersion.objects.exists()


def test_saving_a_changed_mapping_creates_a_new_version_and_an_unchanged_one_does_not(
    tmp_path: Path, media: Path
) -> None:
    columns = ["Classification", "Spécialité", "Date de déclaration"]
    spec = MappingSpec(
        columns={
            "classification": "Classification",
            "product_name": "Spécialité",
            "declared_on": "Date de déclaration",
        }
    )
    first = services.mapping_save(
        family="shortages", name="TrustMed", spec=spec, columns=columns, user=None
    )
    same = services.mapping_save(
        family="shortages", name="TrustMed", spec=spec, columns=columns, user=None
    )
    spec.value_maps = {"classification": {"Pénurie": "rupture"}}
    second = services.mapping_save(
        family="shortages", name="TrustMed", spec=spec, columns=columns, user=None
    )
    assert (first.version, same.pk, second.version) == (1, first.pk, 2)
    assert MappingProfile.objects.get(pk=first.pk).spec["value_maps"] == {}
    with pytest.raises(ApplicationError, match="ne sont pas des valeurs"):
        spec.value_maps = {"classification": {"x": "inconnu"}}
        services.mapping_save(
            family="shortages", name="TrustMed", spec=spec, columns=columns, user=None
        )
