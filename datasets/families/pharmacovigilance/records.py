"""A pharmacovigilance extract as the pipeline's records, and back.

``assemble`` turns the three mapped parts into one frame of raw text values
named after the family's fields: one record per case (its latest version, in
France) and drug text, one record for a case without a drug text; each record
carries its case's dimensions, the case's French SOC labels (``socs``) and its
SOC › HLT pairs (``hlts``). A drug text goes to ``drug_text`` (a speciality,
matched to its CIS), ``substance_text`` or ``brand_text`` (a « Produit »: the
substances all the brand's specialities share) after its TYPE.
``case_frames`` rebuilds, from loaded records, the case-level frames the tables
count (distinct cases, never records), and ``release_tables`` computes them
with the links to substances and specialities.
Pure.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from datasets.families.pharmacovigilance.cleaning import (
    EXTRACT,
    CleanedCases,
    clean_extract,
)
from datasets.families.pharmacovigilance.rules import CRITERIA
from datasets.families.pharmacovigilance.tables import case_tables
from datasets.pipeline.parts import Assembled, LinkReport
from referential_admin.text import fold_series

#: Separators of the multi-valued case columns (no SOC or HLT label has them).
LIST_SEPARATOR = "|"
HLT_SEPARATOR = " › "
#: Drug text types (folded TYPE of the Médicaments part) → vocabulary code.
DRUG_TYPES = {
    "specialite": "speciality",
    "produit": "product",
    "substance": "substance",
}


def _joined(frame: pd.DataFrame, column: str, by: list[str]) -> pd.Series:
    """The distinct values of ``column`` per ``by`` group, sorted, joined."""
    if frame.empty:
        return pd.Series(dtype="string")
    distinct = frame.drop_duplicates([*by, column]).sort_values([*by, column])
    return distinct.groupby(by, sort=False)[column].agg(LIST_SEPARATOR.join)


def _text(values: pd.Series) -> pd.Series:
    return values.astype("string").fillna("")


def assemble(frames: dict[str, pd.DataFrame]) -> Assembled:
    """The records of an extract from its mapped parts (columns as the BNPV names
    them). Counts: those of ``clean_extract``, with ``rows_<part>`` per part and
    ``orphans_<part>`` (rows whose case key matches no case)."""
    cleaned = clean_extract(frames)
    key = ["AER_ID", "CAS", "VER"]
    cases = cleaned.cases
    socs = _joined(cleaned.socs, "soc", ["AER_ID", "CAS"])
    hlts = cleaned.hlts.assign(
        pair=cleaned.hlts["soc"] + HLT_SEPARATOR + cleaned.hlts["hlt"]
    )
    pairs = _joined(hlts, "pair", ["AER_ID", "CAS"])
    drugs = cleaned.drugs
    kind = fold_series(drugs["type"].fillna("")).map(DRUG_TYPES).fillna("")
    drugs = drugs.assign(kind=kind)
    joined = cases.merge(drugs, on=key, how="left", sort=False)
    criteria = np.full(len(joined), "", dtype=object)
    for name in CRITERIA:
        met = joined[name].to_numpy(dtype=bool)
        criteria = np.where(
            met, np.where(criteria == "", name, criteria + " " + name), criteria
        )
    case_index = pd.MultiIndex.from_frame(joined[["AER_ID", "CAS"]])
    is_substance = joined["kind"].eq("substance").fillna(False)
    is_brand = joined["kind"].eq("product").fillna(False)
    text = _text(joined["text"])
    frame = pd.DataFrame(
        {
            "case_id": _text(joined["AER_ID"]) + "/" + _text(joined["CAS"]),
            "aer_id": _text(joined["AER_ID"]),
            "case_number": _text(joined["CAS"]),
            "case_version": _text(joined["VER"]),
            "year": _text(joined["year"]),
            "sex": _text(joined["sex"]),
            "age": _text(joined["age"]),
            "age_class": _text(joined["age_class"]),
            "age_decade": _text(joined["age_decade"]),
            "seriousness": _text(joined["seriousness"]),
            "criteria": pd.Series(criteria, dtype="string"),
            "notifier": _text(joined["notifier"]),
            "socs": _text(pd.Series(socs.reindex(case_index).to_numpy())),
            "hlts": _text(pd.Series(pairs.reindex(case_index).to_numpy())),
            "drug_text": text.where(~(is_substance | is_brand), ""),
            "drug_type": _text(joined["kind"]),
            "substance_text": text.where(is_substance, ""),
            "brand_text": text.where(is_brand, ""),
            "substance_code": "",
        }
    )
    counts = dict(cleaned.counts)
    links: LinkReport = cleaned.links
    for part in EXTRACT.parts:
        if part.name in links.rows:
            counts[f"rows_{part.name}"] = links.rows[part.name]
        if part.name in links.orphans:
            counts[f"orphans_{part.name}"] = links.orphans[part.name]
    counts["records"] = len(frame)
    return Assembled(
        frame=frame,
        origin="cases",
        row_positions=joined["row"].reset_index(drop=True),
        links=links,
        counts=counts,
    )


def case_frames(records: pd.DataFrame) -> CleanedCases:
    """The case-level frames of loaded records (columns as the family's fields):
    one row per case, one per case and SOC, per case, SOC and HLT."""
    first = records.drop_duplicates("case_id")
    unit = pd.DataFrame(
        {"AER_ID": first["aer_id"].to_numpy(), "CAS": first["case_number"].to_numpy()}
    )
    cases = unit.assign(
        VER=first["case_version"].to_numpy(),
        year=first["year"].to_numpy(),
        sex=first["sex"].to_numpy(),
        age_class=first["age_class"].to_numpy(),
        seriousness=first["seriousness"].to_numpy(),
        notifier=first["notifier"].to_numpy(),
    )
    # Space-separated codes: one vectorised match per criterion, not per case.
    listed = " " + first["criteria"].fillna("").astype(str) + " "
    for name in CRITERIA:
        cases[name] = listed.str.contains(f" {name} ", regex=False).to_numpy(dtype=bool)
    socs = _exploded(unit, first["socs"], "soc")
    hlts = _exploded(unit, first["hlts"], "pair")
    if len(hlts):
        split = hlts["pair"].str.split(HLT_SEPARATOR, n=1, expand=True)
        hlts = hlts.assign(soc=split[0], hlt=split[1]).drop(columns="pair")
    else:
        hlts = pd.DataFrame(columns=["AER_ID", "CAS", "soc", "hlt"])
    return CleanedCases(
        cases=cases, socs=socs, hlts=hlts, drugs=pd.DataFrame(), links=LinkReport()
    )


def _exploded(unit: pd.DataFrame, values: pd.Series, name: str) -> pd.DataFrame:
    lists = values.fillna("").astype(str).str.split(LIST_SEPARATOR).to_numpy()
    frame = unit.assign(**{name: lists}).explode(name)
    return frame.loc[frame[name].fillna("").ne("")].reset_index(drop=True)


def release_tables(
    records: pd.DataFrame, compositions: pd.DataFrame
) -> Mapping[str, pd.DataFrame]:
    """Every table of a release from its records (with ``matched_cis``) and the
    referential's compositions (``cis``, ``substance_code``): a case links to
    the substances its drug texts name directly, and to those of the
    specialities its texts were matched to."""
    unit = pd.DataFrame(
        {
            "AER_ID": records["aer_id"].to_numpy(),
            "CAS": records["case_number"].to_numpy(),
        }
    )
    cis = records["matched_cis"].astype("string")
    specialities = unit.assign(cis=cis.to_numpy()).dropna(subset=["cis"])
    # A brand names every substance its specialities share: codes joined by "|".
    code = records["substance_code"].astype("string")
    direct = (
        unit.assign(
            substance_code=code.where(code.ne(""), None).str.split("|").to_numpy()
        )
        .explode("substance_code")
        .dropna(subset=["substance_code"])
    )
    through_cis = specialities.merge(compositions[["cis", "substance_code"]], on="cis")
    substances = pd.concat(
        [direct, through_cis[["AER_ID", "CAS", "substance_code"]]], ignore_index=True
    ).drop_duplicates()
    return case_tables(case_frames(records), substances, specialities)
