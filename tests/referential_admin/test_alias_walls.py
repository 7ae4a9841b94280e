"""Aliases redirect a family's future matches without review: each family's
aliases are written only by its directorate, shared ones only by the Data Office,
on every path (form, service, file import)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from backoffice.exceptions import PermissionRefused
from referential_admin.models import Alias, Speciality
from referential_admin.services import alias_save
from tests.factories.referential import SpecialityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def doliprane(db: Any) -> Speciality:
    return SpecialityFactory.create(cis="60234100", name="DOLIPRANE 1000 mg")


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_declarant_writes_only_its_familys_aliases(
    personas: dict[str, Any], doliprane: Speciality
) -> None:
    declarant = personas["inspection_declarant"]
    for family in ("", "pharmacovigilance"):
        with pytest.raises(PermissionRefused):
            alias_save(
                label="Doli", family=family, speciality=doliprane, user=declarant
            )
    own = alias_save(
        label="Doli", family="shortages", speciality=doliprane, user=declarant
    )
    assert own.family == "shortages"
    # Moving it to the shared aliases is refused too.
    with pytest.raises(PermissionRefused):
        alias_save(
            instance=own, label="Doli", family="", speciality=doliprane, user=declarant
        )
    assert Alias.objects.get(pk=own.pk).family == "shortages"


def test_the_data_office_writes_shared_aliases(
    personas: dict[str, Any], doliprane: Speciality
) -> None:
    shared = alias_save(
        label="Doli", family="", speciality=doliprane, user=personas["data_office"]
    )
    assert shared.family == ""


def test_the_alias_form_refuses_a_shared_alias_from_a_declarant(
    personas: dict[str, Any], doliprane: Speciality
) -> None:
    client = _client(personas["inspection_declarant"])
    answer = client.post(
        reverse("aliases:add"),
        {"label": "Doli", "family": "", "speciality": "60234100", "note": ""},
    )
    assert answer.status_code == 200
    assert "Data Office" in answer.content.decode()
    assert not Alias.objects.exists()
    shared = alias_save(
        label="Autre", family="", speciality=doliprane, user=personas["data_office"]
    )
    edit = reverse("aliases:edit", args=[shared.pk])
    client.post(
        edit, {"label": "Autre", "family": "", "speciality": "", "note": "changé"}
    )
    assert Alias.objects.get(pk=shared.pk).note == ""


def test_an_alias_file_from_a_declarant_imports_no_shared_alias(
    personas: dict[str, Any], doliprane: Speciality
) -> None:
    client = _client(personas["inspection_declarant"])
    csv = "libelle,famille,cis,note\nDoli,shortages,60234100,\nPartout,,60234100,\n"
    answer = client.post(
        reverse("aliases:import"),
        {"file": SimpleUploadedFile("alias.csv", csv.encode("utf-8"))},
    )
    assert answer.status_code == 200
    assert "Data Office" in answer.content.decode()
    assert not Alias.objects.exists()  # all or nothing
