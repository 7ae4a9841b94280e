"""Who may do what to the datasets, and when: the directorate walls (which
families a user handles) and the version's lifecycle rule (when its content may
still change). Services, selectors, views and the admin's permission policy all
ask here.

Versions are created from uploads (never from a blank form), published only by
the last approval of their review workflow (``workflows.finish.workflow_finish``),
and deleted only while they are drafts never submitted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from backoffice.exceptions import PermissionRefused
from backoffice.permissions import RefusingPermissionPolicy
from backoffice.roles import families_of, sees_every_family
from datasets.families import FAMILIES, get_family
from datasets.models import DatasetVersion

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


def user_families(user: AbstractBaseUser | AnonymousUser) -> list[str] | None:
    """The families the user may see; ``None`` means every family."""
    if sees_every_family(user):
        return None
    return sorted(families_of(user))


def upload_families(user: AbstractBaseUser | AnonymousUser) -> list[str]:
    """Registered families the user may upload extracts of (none without the
    permission)."""
    if not getattr(user, "has_perm", lambda _perm: False)("datasets.add_upload"):
        return []
    allowed = user_families(user)
    return [key for key in FAMILIES if allowed is None or key in allowed]


def family_check(user: AbstractBaseUser | AnonymousUser | None, family: str) -> None:
    """Raise PermissionRefused unless the user's directorate owns the family
    (ApplicationError for an unknown family; a command passes no user)."""
    get_family(family)
    if user is None:
        return
    allowed = user_families(user)
    if allowed is not None and family not in allowed:
        raise PermissionRefused(
            _("Your directorate does not handle the family “%(family)s”.")
            % {"family": get_family(family).label}
        )


def _scheduled(version: DatasetVersion) -> bool:
    """Whether an approved revision waits for its publication date."""
    if hasattr(version, "_scheduled_at"):
        return version._scheduled_at is not None
    return version.scheduled_revision is not None


def _approved(version: DatasetVersion) -> bool:
    return bool(version.live or version.last_published_at or _scheduled(version))


def version_edit_error(version: DatasetVersion) -> str | None:
    """Why the version's content cannot change now, or None when it can.

    A version can change while it is a draft that is not under review: never
    submitted, sent back with changes requested, or with its review cancelled.
    Once approved or published it never changes again.
    """
    if _approved(version):
        return _(
            "This version has been approved for publication and can no longer "
            "change: upload a new extract to correct it."
        )
    if version.workflow_in_progress:
        return _(
            "This version is under review and locked: a reviewer must request "
            "changes before it can be corrected."
        )
    if version.status in (
        DatasetVersion.Status.PENDING,
        DatasetVersion.Status.CLEANING,
    ):
        return _("This version is still being cleaned.")
    return None


class DatasetVersionPermissionPolicy(RefusingPermissionPolicy):
    #: Actions nobody performs through the admin, superusers included.
    refused = frozenset({"add", "publish", "unpublish", "copy"})

    def user_has_permission_for_instance(
        self, user: Any, action: str, instance: Any
    ) -> bool:
        """Per version: only in the user's families; deletion only for a draft
        never submitted. Reads the annotations of ``with_review_state`` when
        present, so that a listing's buttons cost no query per row."""
        if not self.user_has_permission(user, action):
            return False
        families = user_families(user)
        if families is not None and instance.family not in families:
            return False
        if action == "delete":
            if hasattr(instance, "_last_workflow_status"):
                submitted = instance._last_workflow_status is not None
            else:
                submitted = instance.workflow_states.exists()
            return not submitted and version_edit_error(instance) is None
        if action == "change" and _approved(instance):
            # Approved or published: the editor refuses, its form and its POST.
            return False
        return True
