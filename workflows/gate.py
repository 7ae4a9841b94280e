"""The automatic quality gate's rule, the first step of every review: a version
passes when its cleaning left no blocking issue, it has rows to publish, and its
share of medicines not matched is within its family's threshold."""

from __future__ import annotations

from django.utils.translation import gettext as _

from datasets.families import get_family
from datasets.models import DatasetVersion


def percent(share: float, digits: int) -> str:
    """A share as a French percentage: "75,6 %" (narrow no-break space)."""
    return f"{share * 100:.{digits}f}".replace(".", ",") + "\u202f%"


def gate_criteria(family: str) -> str:
    """The automatic gate's rule for this family, in a sentence."""
    schema = get_family(family)
    if schema.medicine is None:
        return _("no blocking issue")
    rule = _(
        "no blocking issue, and at most %(threshold)s of rows naming a medicine "
        "that is not matched"
    )
    return rule % {"threshold": percent(schema.unmatched_threshold, 0)}


def quality_gate_reasons(version: DatasetVersion) -> list[str]:
    """Why the automatic quality gate sends the version back (empty: it passes)."""
    version = DatasetVersion.objects.get(pk=version.pk)
    if version.status != DatasetVersion.Status.DRAFT:
        return [_("The version has not been cleaned successfully.")]
    reasons = []
    if version.blocking_issues:
        reasons.append(
            _(
                "%(count)s blocking issues remain: see the quality report, correct "
                "the source file or the mapping and clean again."
            )
            % {"count": version.blocking_issues}
        )
    schema = get_family(version.family)
    if schema.medicine is not None:
        rate = version.unmatched_rate
        if rate > schema.unmatched_threshold:
            reasons.append(
                _(
                    "%(rate)s of the rows name a medicine not matched to the "
                    "referential (at most %(threshold)s allowed): decide them in the "
                    "match review queue."
                )
                % {
                    "rate": percent(rate, 1),
                    "threshold": percent(schema.unmatched_threshold, 0),
                }
            )
    if version.rows_loaded == 0:
        reasons.append(_("The version has no row to publish."))
    return reasons
