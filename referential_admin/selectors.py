"""Reads of the referential shared by the admin, the datasets and the public site."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from referential_admin.matching import (
    DEFAULT_POLICY,
    ReferentialIndex,
    match_labels,
    normalise_label,
)
from referential_admin.models import (
    Alias,
    AtcClass,
    AvailabilityStatus,
    Composition,
    GenericGroupMember,
    PrescriptionCondition,
    Presentation,
    ReferentialImport,
    Speciality,
    Substance,
)
from referential_admin.text import fold

_TOKEN = re.compile(r"[^\w'/.,%-]+")


def speciality_search(
    query: str, queryset: QuerySet[Speciality] | None = None
) -> QuerySet[Speciality]:
    """Specialities whose CIS, presentation codes (CIP13, CIP7), name, substances,
    ATC code or holders contain every word of ``query``, ignoring case and accents."""
    queryset = queryset if queryset is not None else Speciality.objects.all()
    condition = Q()
    for token in _TOKEN.split(fold(query, keep_punctuation=True)):
        if token:
            condition &= Q(search_text__contains=token)
    return queryset.filter(condition)


def speciality_by_cis(cis: str) -> Speciality | None:
    """The speciality with this CIS (and its ATC class), or None."""
    if not cis.isdigit():
        return None
    return Speciality.objects.filter(cis=cis).select_related("atc").first()


def specialities_by_cis(cis_codes: list[str]) -> dict[str, Speciality]:
    """The specialities with these CIS codes, by CIS."""
    return {s.cis: s for s in Speciality.objects.filter(cis__in=cis_codes)}


def speciality_names(cis_codes: list[str]) -> dict[str, str]:
    """CIS → name of the specialities with these codes."""
    return dict(Speciality.objects.filter(cis__in=cis_codes).values_list("cis", "name"))


def speciality_names_all() -> list[tuple[str, str]]:
    """(CIS, name) of every speciality."""
    return list(Speciality.objects.values_list("cis", "name"))


def referential_state() -> str:
    """What identifies the referential's content: the latest import and the
    number of specialities (changes with every import, or a rolled-back one)."""
    latest = (
        ReferentialImport.objects.order_by("-pk").values_list("pk", flat=True).first()
    )
    return f"{latest}:{Speciality.objects.count()}"


def atc_group_labels() -> dict[str, str]:
    """Code → label of the ATC main groups (level 1)."""
    return dict(AtcClass.objects.filter(level=1).values_list("code", "label"))


def substance_by_code(code: str) -> Substance | None:
    return Substance.objects.filter(code=code).first()


def specialities_with_substance(substance: Substance) -> list[dict[str, Any]]:
    """CIS, name and holders of the specialities containing a substance, by name."""
    cis_codes = (
        Composition.objects.filter(substance=substance)
        .values_list("speciality_id", flat=True)
        .distinct()
    )
    return list(
        Speciality.objects.filter(cis__in=cis_codes)
        .order_by("name")
        .values("cis", "name", "holders_text")
    )


#: Callables returning, for a CIS code, the datasets that reference it as
#: (label, url) pairs. The datasets app registers one when it is ready.
DATASET_REFERENCE_FINDERS: list[Any] = []


@dataclass
class SpecialityDetail:
    speciality: Speciality
    presentations: list[Presentation]
    compositions: list[Composition]
    generic_memberships: list[GenericGroupMember]
    conditions: list[PrescriptionCondition]
    availability: list[AvailabilityStatus]
    datasets: list[tuple[str, str]] = field(default_factory=list)


def speciality_detail(speciality: Speciality) -> SpecialityDetail:
    """Everything the speciality screen shows, in a fixed number of queries."""
    cis = speciality.cis
    datasets: list[tuple[str, str]] = []
    for finder in DATASET_REFERENCE_FINDERS:
        datasets.extend(finder(cis))
    return SpecialityDetail(
        speciality=speciality,
        presentations=list(Presentation.objects.filter(speciality_id=cis)),
        compositions=list(Composition.objects.filter(speciality_id=cis)),
        generic_memberships=list(
            GenericGroupMember.objects.filter(speciality_id=cis).select_related("group")
        ),
        conditions=list(PrescriptionCondition.objects.filter(speciality_id=cis)),
        availability=list(
            AvailabilityStatus.objects.filter(speciality_id=cis).order_by(
                "-start_date", "-update_date"
            )
        ),
        datasets=datasets,
    )


# --------------------------------------------------------------------------------------
# Matching labels to the referential
# --------------------------------------------------------------------------------------

#: Per-family auto-accept rules; the datasets registry adds its families' rules.
MATCH_POLICIES: dict[str, Any] = {}
_INDEX_CACHE: dict[str, Any] = {}


def match_policy_for(family: str) -> Any:
    """The family's auto-accept rule, or the calibrated default."""
    return MATCH_POLICIES.get(family, DEFAULT_POLICY)


def match_index() -> Any:
    """The matching index of the current referential, rebuilt after each import.

    Withdrawn specialities stay matchable: old extracts still name them.
    """
    import pandas as pd

    # The start time too: a rolled-back import's id can be reused (SQLite).
    latest = ReferentialImport.objects.order_by("-pk").values_list(
        "pk", "started_at", "finished_at"
    )
    key = f"{latest.first()}:{Speciality.objects.count()}"
    cached = _INDEX_CACHE.get("index")
    if cached is not None and cached[0] == key:
        return cached[1]
    specialities = pd.DataFrame.from_records(
        Speciality.objects.values_list("cis", "name", "pharmaceutical_form"),
        columns=["cis", "name", "form"],
    )
    presentations = pd.DataFrame.from_records(
        Presentation.objects.values_list("speciality_id", "cip13", "cip7"),
        columns=["cis", "cip13", "cip7"],
    )
    index = ReferentialIndex.build(specialities, presentations)
    _INDEX_CACHE["index"] = (key, index)
    return index


def family_matcher(family: str = "") -> Callable[..., Any]:
    """A matching function for the family, its referential index and aliases read
    once: calling it afterwards reads nothing from the database, so a long job
    may call it batch after batch while its connection is busy loading rows.

    The function takes ``(labels, codes)`` and returns the matching service's
    frame (one row per input: cis, method, score, auto_accepted, candidates).
    Labels that a person declared outside the referential come back with method
    ``"excluded"`` and no CIS.
    """
    index = copy.copy(match_index())  # aliases differ per family: do not share
    aliases = Alias.objects.filter(Q(family="") | Q(family=family)).order_by("family")
    mapping: dict[str, str | None] = {}
    for normalised, target in aliases.values_list("normalised_label", "speciality_id"):
        # The family's own alias wins over a global one (ordered by family).
        mapping[normalised] = str(target) if target is not None else None
    index.aliases = {k: v for k, v in mapping.items() if v and v in index.position}
    excluded = {k for k, v in mapping.items() if v is None}
    policy = match_policy_for(family)

    def match(labels: list[str | None], codes: list[str | None] | None = None) -> Any:
        result = match_labels(index, labels, codes, policy=policy)
        if excluded:
            mask = [
                normalise_label(label) in excluded if label else False
                for label in labels
            ]
            result.loc[mask, ["cis", "method", "auto_accepted"]] = [
                None,
                "excluded",
                False,
            ]
        return result

    return match


def match_labels_for_family(
    labels: list[str | None],
    codes: list[str | None] | None = None,
    *,
    family: str = "",
) -> Any:
    """Match many labels and/or codes with the family's rule and its aliases
    (see ``family_matcher``)."""
    return family_matcher(family)(labels, codes)


def substance_names() -> Any:
    """Every name of every substance (its name, its other names and the names
    the compositions give it) as a frame of ``name`` and ``code``."""
    import pandas as pd

    rows: list[tuple[str, str]] = []
    for code, name, variants in Substance.objects.values_list(
        "code", "name", "name_variants"
    ):
        rows.append((name, code))
        rows.extend((str(variant), code) for variant in variants or [])
    rows.extend(
        (name, code)
        for name, code in Composition.objects.active()
        .values_list("substance_name", "substance_id")
        .distinct()
    )
    return pd.DataFrame(rows, columns=["name", "code"]).drop_duplicates()


def speciality_substances() -> Any:
    """The active substances of every speciality: a frame of ``cis`` and
    ``substance_code`` (a therapeutic fraction replaces the substance it is
    the active part of, as in the BDPM's compositions)."""
    import pandas as pd

    rows = Composition.objects.active().values_list(
        "speciality_id", "substance_id", "component_nature", "link_number"
    )
    frame = pd.DataFrame(
        list(rows), columns=["cis", "substance_code", "nature", "link"]
    )
    fractions = frame.loc[frame["nature"].eq("FT"), ["cis", "link"]].dropna()
    replaced = frame.merge(
        fractions.assign(has_fraction=True), on=["cis", "link"], how="left"
    )
    keep = replaced["nature"].eq("FT") | replaced["has_fraction"].isna()
    return replaced.loc[keep, ["cis", "substance_code"]].drop_duplicates()


def medicines_with_substances(limit: int) -> list[tuple[str, list[str]]]:
    """Up to ``limit`` active specialities (by CIS, spread over the
    referential) with the names of their active substances."""
    cis_codes = list(
        Speciality.objects.active()
        .filter(compositions__isnull=False)
        .order_by("cis")
        .values_list("cis", flat=True)
        .distinct()
    )
    step = max(1, len(cis_codes) // max(limit, 1))
    chosen = cis_codes[::step][:limit]
    names = dict(Speciality.objects.filter(cis__in=chosen).values_list("cis", "name"))
    substances: dict[str, list[str]] = {cis: [] for cis in chosen}
    for cis, name in (
        Composition.objects.active()
        .filter(speciality_id__in=chosen, component_nature="SA")
        .order_by("speciality_id", "link_number")
        .values_list("speciality_id", "substance_name")
    ):
        if name not in substances[cis]:
            substances[cis].append(name)
    return [(names[cis], substances[cis]) for cis in chosen]


def brand_substances() -> Any:
    """Every brand of the referential (a speciality name without strength and
    form) with the active substances all its specialities share: a frame of
    ``name`` and ``code`` (several rows for a brand of several substances; a
    brand whose specialities share none is left out)."""
    import pandas as pd

    from referential_admin.text import brand_of

    names = pd.DataFrame(
        list(Speciality.objects.active().values_list("cis", "name")),
        columns=["cis", "name"],
    )
    names["brand"] = names["name"].map(brand_of)
    links = names.merge(speciality_substances(), on="cis")
    per_brand = names.groupby("brand")["cis"].nunique()
    shared = links.groupby(["brand", "substance_code"])["cis"].nunique()
    shared = shared[
        shared.to_numpy()
        == per_brand.reindex(shared.index.get_level_values(0)).to_numpy()
    ]
    return pd.DataFrame(
        {
            "name": shared.index.get_level_values(0),
            "code": shared.index.get_level_values(1),
        }
    )
