"""E-mail to a review step's group when a version reaches it. Wagtail's own
notifier is reused for the recipients (group members with e-mail notifications
on, not the person who submitted); the message points to the review screen."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from wagtail.admin.mail import GroupApprovalTaskStateSubmissionEmailNotifier

from datasets.families import FAMILIES
from datasets.models import DatasetVersion
from workflows.four_eyes import preparers_of


class ReviewStepEmailNotifier(GroupApprovalTaskStateSubmissionEmailNotifier):
    def get_template_set(self, instance: Any, **kwargs: Any) -> dict[str, str]:
        if isinstance(instance.workflow_state.content_object, DatasetVersion):
            base = "workflows/notifications/review_step_submitted"
        else:  # pages: Wagtail's own message
            base = "wagtailadmin/notifications/task_state_submitted"
        return {
            "subject": f"{base}_subject.txt",
            "text": f"{base}.txt",
            "html": f"{base}.html",
        }

    def get_recipient_users(self, task_state: Any, **kwargs: Any) -> Any:
        users = super().get_recipient_users(task_state, **kwargs)
        # Those who prepared the version cannot decide: they are not asked to.
        return users.exclude(
            pk__in=preparers_of(task_state.workflow_state.content_object)
        )

    def get_context(self, task_state: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(task_state, **kwargs)
        version = context["object"]
        if not isinstance(version, DatasetVersion):
            return context
        schema = FAMILIES.get(version.family)
        context["family_label"] = schema.label if schema else version.family
        context["review_url"] = (settings.WAGTAILADMIN_BASE_URL or "") + reverse(
            "datasets_version", args=[version.pk]
        )
        context["requested_by"] = task_state.workflow_state.requested_by
        return context


review_step_email_notifier = ReviewStepEmailNotifier()
