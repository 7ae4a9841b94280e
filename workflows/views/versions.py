"""Wagtail's screens of dataset versions (a snippet with a workflow): the list,
the editor (note for the reviewers, publication date) and deletion. Submitting
and deleting go through the services, like every other path."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _lazy
from wagtail.snippets.bulk_actions.delete import DeleteBulkAction
from wagtail.snippets.views import snippets as snippet_views

from backoffice.exceptions import ApplicationError
from datasets import selectors as dataset_selectors
from datasets.models import DatasetVersion
from datasets.permissions import upload_families
from datasets.services import version_delete
from workflows.services import version_submit


class VersionIndexView(snippet_views.IndexView):
    """Versions of the user's families; a version starts with an upload."""

    add_item_label = _lazy("Upload an extract")

    def get_base_queryset(self) -> Any:
        return dataset_selectors.with_review_state(
            dataset_selectors.versions_visible_to(self.request.user).select_related(
                "upload"
            )
        )

    def get_add_url(self) -> str | None:
        if not upload_families(self.request.user):
            return None
        return reverse("datasets_upload_create")


class VersionEditView(snippet_views.EditView):
    """Wagtail's editor of a version (note for reviewers, publication date),
    whose "submit" goes through the review service like every other path.
    Refused (403) for a version of another directorate or one already approved
    or published, whose content never changes again."""

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        if not self.permission_policy.user_has_permission_for_instance(
            request.user, "change", self.object
        ):
            raise PermissionDenied

    def submit_action(self) -> HttpResponse | None:
        try:
            version_submit(version=self.object, user=self.request.user)
        except ApplicationError as exc:
            raise PermissionDenied(exc.message) from exc
        return None


class VersionDeleteView(snippet_views.DeleteView):
    """Deletes only drafts never submitted, with their records (service)."""

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        if not self.permission_policy.user_has_permission_for_instance(
            request.user, "delete", self.object
        ):
            raise PermissionDenied

    def delete_action(self) -> None:
        try:
            version_delete(version=self.object, user=self.request.user)
        except ApplicationError as exc:
            raise PermissionDenied(exc.message) from exc


class VersionDeleteBulkAction(DeleteBulkAction):
    """Wagtail's bulk delete of versions, through the deletion service: only
    drafts never submitted (the others are not offered), each with its records
    and its deletion entry in the audit trail."""

    models = [DatasetVersion]

    @classmethod
    def execute_action(
        cls, objects: Any, user: Any = None, **kwargs: Any
    ) -> tuple[int, int]:
        user = user or kwargs["self"].request.user
        deleted = 0
        for version in objects:
            try:
                version_delete(version=version, user=user)
            except ApplicationError:
                continue  # changed since the form was shown: kept
            deleted += 1
        return deleted, 0
