"""Directorate walls on every admin URL that names an object, found from the URL
resolver (not a hand list): the URLs Wagtail adds (inspect, edit, delete,
history, usage, revisions, workflow, chooser, lock, editing sessions, bulk
actions) and the project's own. Each
answers 404, 403 or a refusal to a user of the other directorate, GET and POST
alike, and changes nothing; listings show only the user's families."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from wagtail.models import Revision

from datasets import services
from datasets.families import FAMILIES
from datasets.models import DatasetVersion, MappingProfile, Upload
from datasets.pipeline.schema import FamilySchema, FieldSpec
from publications.models import Release
from referential_admin.models import Alias
from tasks.models import JobRun
from tests.factories.datasets import DatasetVersionFactory
from tests.factories.publications import ReleaseFactory
from tests.factories.referential import AliasFactory
from tests.factories.tasks import JobRunFactory
from workflows import services as review

pytestmark = pytest.mark.django_db

#: The project's own views name no model: the object their ``pk`` designates,
#: by URL name prefix. A new URL with an id and no entry here fails the test.
OWN_VIEWS: dict[str, type[models.Model]] = {
    "datasets_upload": Upload,
    "datasets_mapping": Upload,
    "datasets_version": DatasetVersion,
    "datasets_review": DatasetVersion,
    "datasets_rematch": DatasetVersion,
    "datasets_diff": DatasetVersion,
    "workflows_": DatasetVersion,
    "cancel": JobRun,
    "retry": JobRun,
}
#: Not a family's object: shared by every directorate (the referential), or the
#: Data Office's public pages and their media, or not about an object.
NOT_FAMILY = (
    "/referentiel/",
    "/publications/<str:family>/",
    "admin/api/",
    "admin/pages/",
    # Administrators' settings: collections, review workflows, site settings.
    "admin/collections/",
    "admin/workflows/",
    "admin/settings/",
)


def _patterns(
    resolver: URLResolver, prefix: str = ""
) -> list[tuple[str, URLPattern, str]]:
    found = []
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            namespace = entry.namespace or ""
            for sub_route, sub, ns in _patterns(entry, route):
                found.append((sub_route, sub, ":".join(filter(None, [namespace, ns]))))
        else:
            found.append((route, entry, ""))
    return found


#: The models that have a family (the fixture holds one object of each).
FAMILY_MODELS: tuple[type[models.Model], ...] = (
    DatasetVersion,
    Upload,
    MappingProfile,
    Release,
    JobRun,
    Alias,
)


def _object_urls() -> list[tuple[str, URLPattern, str, type[models.Model]]]:
    urls: list[tuple[str, URLPattern, str, type[models.Model]]] = []
    unknown: list[str] = []
    for route, pattern, namespace in _patterns(get_resolver()):
        groups = pattern.pattern.regex.groupindex
        if not route.startswith("admin/") or not {"pk", "object_id"} & set(groups):
            continue
        if any(part in "/" + route for part in NOT_FAMILY):
            continue
        if "app_label" in groups:  # the URL names its model: try every one
            urls.extend((route, pattern, namespace, m) for m in FAMILY_MODELS)
            continue
        initkwargs = getattr(pattern.callback, "view_initkwargs", None) or {}
        model = initkwargs.get("model")
        if isinstance(model, str):
            model = apps.get_model(model)
        if model is None:
            name = pattern.name or ""
            model = next((m for p, m in OWN_VIEWS.items() if name.startswith(p)), None)
        if model is None:
            unknown.append(f"{route} ({pattern.name})")
            continue
        if "family" not in {f.name for f in model._meta.fields}:
            continue
        urls.append((route, pattern, namespace, model))
    assert unknown == [], "Which object do these URLs show? " + " ; ".join(unknown)
    return urls


@pytest.fixture
def inspection_objects(
    team: dict[str, Any], approve_both: Any
) -> dict[type[models.Model], Any]:
    """One object of each kind, all of the Inspection's shortages family: a
    version in review, a published one (with its release), a job, an alias."""
    declarant = team["inspection_declarant"]
    published = DatasetVersionFactory.create(upload__uploaded_by=declarant)
    review.version_submit(version=published, user=declarant)
    approve_both(published)
    in_review = DatasetVersionFactory.create(upload__uploaded_by=declarant)
    review.version_submit(version=in_review, user=declarant)
    return {
        DatasetVersion: DatasetVersion.objects.get(pk=in_review.pk),
        Upload: in_review.upload,
        MappingProfile: in_review.mapping,
        Release: Release.objects.get(version=published),
        JobRun: JobRunFactory.create(family="shortages", created_by=declarant),
        Alias: AliasFactory.create(label="Doli", family="shortages"),
    }


def _kwargs(pattern: URLPattern, obj: Any) -> dict[str, Any]:
    groups = pattern.pattern.regex.groupindex
    kwargs: dict[str, Any] = {"object_id" if "object_id" in groups else "pk": obj.pk}
    revision = (
        Revision.objects.for_instance(obj).order_by("-pk").first()
        if isinstance(obj, DatasetVersion)
        else None
    )
    state = getattr(obj, "current_workflow_state", None)
    values = {
        "revision_id": revision.pk if revision else 1,
        "revision_id_a": "earliest",
        "revision_id_b": "latest",
        "action_name": "approve",
        "task_state_id": state.current_task_state_id if state else 1,
        "workflow_state_id": state.pk if state else 1,
        "file_format": "csv",
        "app_label": obj._meta.app_label,
        "model_name": obj._meta.model_name,
        "session_id": 1,
    }
    for name in groups:
        if name not in ("pk", "object_id"):
            kwargs[name] = values[name]
    return kwargs


def _refused(answer: Any) -> bool:
    if answer.status_code in (403, 404, 405):
        return True
    # Wagtail's refusal: back to the dashboard with a message.
    return answer.status_code == 302 and answer["Location"] in ("/admin/", "/admin")


def test_every_admin_url_of_an_object_is_walled_off_from_the_other_directorate(
    team: dict[str, Any], inspection_objects: dict[type[models.Model], Any]
) -> None:
    urls = _object_urls()
    assert len(urls) >= 30, "the resolver should yield Wagtail's and our URLs"
    client = Client()
    client.force_login(team["surveillance_declarant"])
    leaks = []
    for _route, pattern, namespace, model in urls:
        obj = inspection_objects[model]
        name = f"{namespace}:{pattern.name}" if namespace else pattern.name
        url = reverse(name, kwargs=_kwargs(pattern, obj))
        for method in ("get", "post"):
            answer = getattr(client, method)(url)
            if not _refused(answer):
                leaks.append(f"{method.upper()} {url} → {answer.status_code}")
    assert leaks == []
    # Nothing changed: every object is still there, the version unlocked.
    for model, obj in inspection_objects.items():
        assert model._default_manager.filter(pk=obj.pk).exists(), model
    assert not DatasetVersion.objects.get(
        pk=inspection_objects[DatasetVersion].pk
    ).locked


def test_every_bulk_action_on_an_object_of_the_other_directorate_is_refused(
    team: dict[str, Any], inspection_objects: dict[type[models.Model], Any]
) -> None:
    from wagtail.admin.views.bulk_action.registry import bulk_action_registry

    client = Client()
    client.force_login(team["surveillance_declarant"])
    tried, leaks = 0, []
    for model in FAMILY_MODELS:
        meta = model._meta
        for action in bulk_action_registry.get_bulk_actions_for_model(
            meta.app_label, meta.model_name
        ):
            obj = inspection_objects[model]
            url = reverse(
                "wagtail_bulk_action",
                args=[meta.app_label, meta.model_name, action.action_type],
            )
            for method in ("get", "post"):
                tried += 1
                answer = getattr(client, method)(f"{url}?id={obj.pk}&next=/admin/")
                if answer.status_code != 404:
                    leaks.append(f"{method.upper()} {url} → {answer.status_code}")
    assert tried >= 2 and leaks == []
    for model, obj in inspection_objects.items():
        assert model._default_manager.filter(pk=obj.pk).exists(), model


def test_the_owner_directorate_still_opens_them(
    team: dict[str, Any], inspection_objects: dict[type[models.Model], Any]
) -> None:
    """The control: the same inspect and history screens answer their owner."""
    client = Client()
    client.force_login(team["inspection_reviewer"])
    version = inspection_objects[DatasetVersion]
    for url in (
        reverse("uploads:index"),
        reverse("mapping_profiles:inspect", args=[version.mapping_id]),
        reverse("datasets_version", args=[version.pk]),
    ):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize(
    "url",
    [
        "/admin/donnees/profils/",
        "/admin/donnees/depots/",
        "/admin/donnees/versions/",
        "/admin/travaux/",
        "/admin/snippets/choose/datasets/datasetversion/",
    ],
)
def test_listings_show_only_the_users_families(
    team: dict[str, Any], inspection_objects: dict[type[models.Model], Any], url: str
) -> None:
    client = Client()
    client.force_login(team["surveillance_declarant"])
    answer = client.get(url)
    assert answer.status_code in (200, 302, 403, 404)
    if answer.status_code == 200:
        page = answer.content.decode()
        version = inspection_objects[DatasetVersion]
        for text in (
            version.upload.original_name,
            version.mapping.name,
            f"/versions/edit/{version.pk}/",
        ):
            assert text not in page, (url, text)
    site_history = client.get(reverse("wagtailadmin_reports:site_history"))
    assert site_history.status_code in (302, 403)


def test_the_same_bytes_in_another_family_tell_nothing_of_the_other(
    team: dict[str, Any], tmp_path: Any, media: Any
) -> None:
    FAMILIES["pharmacovigilance"] = FamilySchema(
        key="pharmacovigilance",
        label="Pharmacovigilance",
        fields=(FieldSpec("substance", "Substance", required=True),),
        natural_keys=(("substance",),),
        row_level=False,
    )
    try:
        path = tmp_path / "extrait.csv"
        path.write_text("substance;nombre\nparacetamol;3\n", encoding="utf-8")
        theirs, _created = services.upload_create(
            source=path,
            name="extrait.csv",
            family="shortages",
            user=team["inspection_declarant"],
            inline=True,
        )
        mine, created = services.upload_create(
            source=path,
            name="extrait.csv",
            family="pharmacovigilance",
            user=team["surveillance_declarant"],
            inline=True,
        )
    finally:
        del FAMILIES["pharmacovigilance"]
    assert created and mine.pk != theirs.pk and mine.family == "pharmacovigilance"
    assert mine.file.name != theirs.file.name
    assert re.search(r"pharmacovigilance", mine.file.name)


def test_the_releases_list_shows_only_the_users_families(
    team: dict[str, Any],
) -> None:
    theirs = ReleaseFactory.create(family="shortages")
    shown = str(theirs.version)
    url = reverse("releases:index")
    client = Client()
    client.force_login(team["surveillance_declarant"])
    answer = client.get(url)
    assert answer.status_code in (200, 302, 403)
    assert shown not in answer.content.decode()
    owner = Client()
    owner.force_login(team["inspection_reviewer"])
    assert shown in owner.get(url).content.decode()  # the control
