"""The six roles of DESIGN.md §2: group names, permissions and data families.

``apply_roles`` is called by data migrations; it is idempotent and only adds what is
missing, so that permissions granted by hand in the admin are kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

INSPECTION_DECLARANTS = "Inspection – déclarants"
INSPECTION_REVIEWERS = "Inspection – relecteurs"
SURVEILLANCE_DECLARANTS = "Surveillance – déclarants"
SURVEILLANCE_REVIEWERS = "Surveillance – relecteurs"
DATA_OFFICE = "Data Office – gestionnaires"
ADMINISTRATORS = "Administrateurs"

ALL_GROUPS = (
    INSPECTION_DECLARANTS,
    INSPECTION_REVIEWERS,
    SURVEILLANCE_DECLARANTS,
    SURVEILLANCE_REVIEWERS,
    DATA_OFFICE,
    ADMINISTRATORS,
)

#: Data families each directorate group owns (registry names of datasets/).
GROUP_FAMILIES: dict[str, tuple[str, ...]] = {
    INSPECTION_DECLARANTS: ("shortages",),
    INSPECTION_REVIEWERS: ("shortages",),
    SURVEILLANCE_DECLARANTS: ("pharmacovigilance", "medication_errors"),
    SURVEILLANCE_REVIEWERS: ("pharmacovigilance", "medication_errors"),
}

#: The directorates' reviewer groups: one of them approves each publication.
REVIEWER_GROUPS = (INSPECTION_REVIEWERS, SURVEILLANCE_REVIEWERS)


def reviewer_groups_of(family: str) -> list[str]:
    """The reviewer groups of the directorate that owns ``family``."""
    return [g for g in REVIEWER_GROUPS if family in GROUP_FAMILIES.get(g, ())]


#: Groups that see every family's objects.
ALL_FAMILY_GROUPS = (DATA_OFFICE, ADMINISTRATORS)

_REFERENTIAL_VIEW = tuple(
    f"referential_admin.view_{model}"
    for model in (
        "speciality",
        "presentation",
        "substance",
        "atcclass",
        "holder",
        "alias",
        "atccorrection",
        "referentialimport",
        "referentialchange",
    )
)
_DATASETS_VIEW = tuple(
    f"datasets.view_{model}"
    for model in ("upload", "mappingprofile", "datasetversion", "matchdecision")
)
_STAFF = (
    "wagtailadmin.access_admin",
    "tasks.view_jobrun",
    "publications.view_release",
    *_REFERENTIAL_VIEW,
    *_DATASETS_VIEW,
)
#: Upload extracts, edit mappings, decide matches (in the families they own).
_DATASETS_WORK = (
    "datasets.add_upload",
    "datasets.add_mappingprofile",
    "datasets.add_datasetversion",
    "datasets.change_datasetversion",
    "datasets.delete_datasetversion",
    "datasets.add_matchdecision",
)
_DECLARANT = (
    *_STAFF,
    *_DATASETS_WORK,
    "referential_admin.add_alias",
    "referential_admin.change_alias",
)

#: Model permissions per group, as "app_label.codename". Permissions of models that
#: do not exist yet are skipped; a later migration calling ``apply_roles`` adds them.
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    INSPECTION_DECLARANTS: _DECLARANT,
    INSPECTION_REVIEWERS: _STAFF,
    SURVEILLANCE_DECLARANTS: _DECLARANT,
    SURVEILLANCE_REVIEWERS: _STAFF,
    DATA_OFFICE: (
        *_STAFF,
        *_DATASETS_WORK,
        "tasks.manage_jobrun",
        "publications.rollback_release",
        "referential_admin.import_referential",
        "referential_admin.add_alias",
        "referential_admin.change_alias",
        "referential_admin.delete_alias",
        "referential_admin.add_atccorrection",
        "referential_admin.change_atccorrection",
        "referential_admin.delete_atccorrection",
        "wagtaildocs.add_document",
        "wagtaildocs.change_document",
        "wagtaildocs.choose_document",
        "wagtailimages.add_image",
        "wagtailimages.change_image",
        "wagtailimages.choose_image",
    ),
}

#: Page permissions on the whole page tree, per group.
PAGE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    DATA_OFFICE: ("add_page", "change_page", "publish_page", "lock_page"),
}
#: Collection permissions on the root collection, per group.
COLLECTION_PERMISSIONS: dict[str, tuple[str, ...]] = {
    DATA_OFFICE: (
        "wagtaildocs.add_document",
        "wagtaildocs.change_document",
        "wagtaildocs.choose_document",
        "wagtailimages.add_image",
        "wagtailimages.change_image",
        "wagtailimages.choose_image",
    ),
}


def apply_roles(apps: Any, schema_editor: Any = None) -> None:
    """Create the six groups and grant the permissions that exist (idempotent).

    Works with a migration's historical app registry.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        # Historical app configs have no models module; create_permissions skips
        # those, so pretend for the call and restore the real value afterwards.
        previous = getattr(app_config, "models_module", None)
        app_config.models_module = previous or True
        try:
            create_permissions(app_config, verbosity=0, apps=apps)
        finally:
            app_config.models_module = previous

    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")

    def find(spec: str) -> Any:
        app_label, codename = spec.split(".", 1)
        return permission_model.objects.filter(
            content_type__app_label=app_label, codename=codename
        ).first()

    for name in ALL_GROUPS:
        group, _created = group_model.objects.get_or_create(name=name)
        if name == ADMINISTRATORS:
            group.permissions.add(*permission_model.objects.all())
            continue
        wanted = [find(spec) for spec in ROLE_PERMISSIONS.get(name, ())]
        group.permissions.add(*[perm for perm in wanted if perm is not None])
        _apply_page_permissions(apps, group, PAGE_PERMISSIONS.get(name, ()), find)
        _apply_collection_permissions(
            apps, group, COLLECTION_PERMISSIONS.get(name, ()), find
        )


def _apply_page_permissions(
    apps: Any, group: Any, codenames: tuple[str, ...], find: Any
) -> None:
    if not codenames:
        return
    page_model = apps.get_model("wagtailcore", "Page")
    gpp_model = apps.get_model("wagtailcore", "GroupPagePermission")
    root = page_model.objects.filter(depth=1).first()
    if root is None:
        return
    for codename in codenames:
        permission = find(f"wagtailcore.{codename}")
        if permission is not None:
            gpp_model.objects.get_or_create(
                group=group, page=root, permission=permission
            )


def _apply_collection_permissions(
    apps: Any, group: Any, specs: tuple[str, ...], find: Any
) -> None:
    if not specs:
        return
    collection_model = apps.get_model("wagtailcore", "Collection")
    gcp_model = apps.get_model("wagtailcore", "GroupCollectionPermission")
    root = collection_model.objects.filter(depth=1).first()
    if root is None:
        return
    for spec in specs:
        permission = find(spec)
        if permission is not None:
            gcp_model.objects.get_or_create(
                group=group, collection=root, permission=permission
            )


def group_names(user: AbstractBaseUser | AnonymousUser) -> set[str]:
    cached: set[str] | None = getattr(user, "_datamed_group_names", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))  # type: ignore[union-attr]
        user._datamed_group_names = cached  # type: ignore[union-attr]
    return cached


def sees_every_family(user: AbstractBaseUser | AnonymousUser) -> bool:
    """True for superusers, Data Office managers and administrators."""
    if getattr(user, "is_superuser", False):
        return True
    return bool(group_names(user) & set(ALL_FAMILY_GROUPS))


def families_of(user: AbstractBaseUser | AnonymousUser) -> set[str]:
    """The data families whose objects the user's directorate groups own."""
    families: set[str] = set()
    for name in group_names(user):
        families.update(GROUP_FAMILIES.get(name, ()))
    return families
