from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = _("Validation workflows")

    def ready(self) -> None:
        # An app config loads before any model: models are imported once ready.
        from django.db.models.signals import pre_save
        from wagtail.models import TaskState
        from wagtail.signals import task_submitted

        from workflows.models import FourEyesTaskState, guard_task_state
        from workflows.notifications import review_step_email_notifier

        for sender in (TaskState, FourEyesTaskState):
            pre_save.connect(
                guard_task_state, sender=sender, dispatch_uid=f"four-eyes-{sender}"
            )
        # Wagtail tells a group approval's reviewers for its own task state class
        # only; ours gets its own e-mail, pointing to the review screen.
        task_submitted.connect(
            review_step_email_notifier,
            sender=FourEyesTaskState,
            dispatch_uid="four-eyes-task-submitted-email",
        )
