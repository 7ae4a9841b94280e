"""A pharmacovigilance extract cleaned at case level: its three parts linked on
the case key, the rules of ``rules`` applied, and the counts the quality report
states (how many versions and foreign cases were left out, ages recovered, SOC
names and notifier labels nobody knows, rows linked to no case).

One row per case in ``cases`` (its latest version, in France; ``row`` is its
position in the Cas-Patients part), one per case and
SOC in ``socs``, per case, SOC and HLT in ``hlts``, and one per case and drug
text in ``drugs`` (the text and its TYPE, for the matching cascade). Pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from datasets.families.pharmacovigilance import rules
from datasets.pipeline.parts import LinkReport, MultiTableSpec, PartSpec, link_parts

KEYS = rules.CASE_KEYS
#: The parts of a BNPV extract: three files, or one workbook with these sheets;
#: each part's columns as the BNPV names them, and those the rules need.
EXTRACT = MultiTableSpec(
    root="cases",
    keys=KEYS,
    parts=(
        PartSpec(
            "cases",
            "Cas-Patients",
            ("cas patients", "cas - patients", "cas_patients"),
            columns=(
                *KEYS,
                "NOTIF",
                "SEXE",
                "AGE",
                "U_AGE",
                "DATE_NAISS",
                "TYP_NOTIF",
                "GRAVE",
                "PAYS_SURVENUE",
                "PAYS_CAS",
                *rules.CRITERIA,
            ),
            required_columns=(*KEYS, "NOTIF", "PAYS_SURVENUE", "PAYS_CAS"),
        ),
        PartSpec(
            "effects",
            "Effets",
            ("effets",),
            columns=(*KEYS, "DATE_DEB", "EFFET_SOC", "EFFET_HLT"),
            required_columns=(*KEYS, "EFFET_SOC"),
        ),
        PartSpec(
            "drugs",
            "Médicaments",
            ("medicaments",),
            columns=(*KEYS, "MEDICAMENT", "TYPE"),
            required_columns=(*KEYS, "MEDICAMENT"),
        ),
        PartSpec(
            "notifiers",
            "Notificateur",
            ("notificateur",),
            required=False,
            columns=KEYS,
        ),
    ),
)


@dataclass
class CleanedCases:
    cases: pd.DataFrame
    socs: pd.DataFrame
    hlts: pd.DataFrame
    drugs: pd.DataFrame
    links: LinkReport
    counts: dict[str, int] = field(default_factory=dict)


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column as stripped text (missing when the part lacks the column)."""
    if column not in frame:
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    return frame[column].astype("string").str.strip()


def clean_extract(frames: dict[str, pd.DataFrame]) -> CleanedCases:
    """Clean the parts of one extract (raw text columns, as read).

    Counts: ``read`` case rows, ``old_versions`` left out, ``foreign`` cases left
    out, ``cases`` kept, ``age_recovered`` from the birth year, ``age_unknown``,
    ``sex_unknown``, ``soc_unknown`` effect rows whose SOC nobody knows,
    ``notifier_unmapped``, and ``drug_duplicates`` (the same text twice in one
    case)."""
    linked, links = link_parts(frames, EXTRACT)
    raw = linked["cases"].reset_index(drop=True)
    counts = {"read": len(raw)}
    latest = rules.latest_versions(raw)
    counts["old_versions"] = len(raw) - len(latest)
    france = rules.in_france(latest)
    counts["foreign"] = int((~france).sum())
    kept = latest.loc[france]
    key = ["AER_ID", "CAS", "VER"]
    given_age = rules.age_value(kept["AGE"])
    years = rules.age_in_years(
        kept["AGE"], kept["U_AGE"], kept["NOTIF"], kept["DATE_NAISS"]
    )
    notifier, unmapped = rules.notifier(kept["TYP_NOTIF"])
    cases = kept[key].copy()
    cases["row"] = kept.index.to_numpy()  # the case's row in its part
    cases["year"] = rules.year_of(kept["NOTIF"]).astype("Int64")
    cases["sex"] = rules.sex(kept["SEXE"])
    cases["age"] = years
    cases["age_class"] = rules.age_class(years)
    cases["age_decade"] = rules.decade_class(years)
    cases["seriousness"] = rules.seriousness(kept["GRAVE"])
    cases = cases.join(rules.criteria(kept))
    cases["notifier"] = notifier
    counts["cases"] = len(cases)
    counts["age_recovered"] = int((years.notna() & given_age.isna()).sum())
    counts["age_unknown"] = int(years.isna().sum())
    counts["sex_unknown"] = int(cases["sex"].eq(rules.UNKNOWN).sum())
    counts["notifier_unmapped"] = int(unmapped.sum())
    case_keys = pd.MultiIndex.from_frame(cases[key].astype("string"))

    def of_kept_cases(frame: pd.DataFrame) -> pd.DataFrame:
        inside = pd.MultiIndex.from_frame(frame[key].astype("string")).isin(case_keys)
        return frame.loc[inside]

    effects = of_kept_cases(linked.get("effects", pd.DataFrame(columns=key)))
    soc, soc_unknown = rules.french_soc(_text(effects, "EFFET_SOC"))
    counts["soc_unknown"] = int(soc_unknown.sum())
    hlt = _text(effects, "EFFET_HLT")
    labelled = effects[key].assign(soc=soc, hlt=hlt.where(hlt.ne("")))
    drugs = of_kept_cases(linked.get("drugs", pd.DataFrame(columns=key)))
    texts = drugs[key].assign(
        text=_text(drugs, "MEDICAMENT"), type=_text(drugs, "TYPE")
    )
    texts = texts.loc[texts["text"].fillna("").ne("")]
    unique = texts.drop_duplicates([*key, "text"])
    counts["drug_duplicates"] = len(texts) - len(unique)
    return CleanedCases(
        cases=cases.reset_index(drop=True),
        socs=rules.case_socs(labelled).reset_index(drop=True),
        hlts=rules.case_hlts(labelled).reset_index(drop=True),
        drugs=unique.reset_index(drop=True),
        links=links,
        counts=counts,
    )
