"""The seeded pharmacovigilance generator writes extracts in the BNPV's shapes,
with the dirty values the cleaning rules exist for, the same for the same seed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from datasets.families.pharmacovigilance import rules
from datasets.families.pharmacovigilance.cleaning import clean_extract
from datasets.families.pharmacovigilance.generator import (
    Medicine,
    generate,
    write_extract,
)
from datasets.pipeline.parts import MultiTableSpec, PartSpec, assign_parts, link_parts

MEDICINES = [
    Medicine("DOLIPRANE 1000 mg, comprimé", "DOLIPRANE", ("PARACÉTAMOL",)),
    Medicine("ADVIL 200 mg, comprimé enrobé", "ADVIL", ("IBUPROFÈNE",)),
]
SPEC = MultiTableSpec(
    root="cases",
    keys=rules.CASE_KEYS,
    parts=(
        PartSpec("cases", "Cas-Patients", ("cas patients",)),
        PartSpec("effects", "Effets", ("effets",)),
        PartSpec("drugs", "Médicaments", ("medicaments",)),
    ),
)


def test_the_same_seed_writes_the_same_files(tmp_path: Path) -> None:
    first = write_extract(generate(300, MEDICINES, seed=7), tmp_path / "a")
    second = write_extract(generate(300, MEDICINES, seed=7), tmp_path / "b")
    digest = [hashlib.sha256(p.read_bytes()).hexdigest() for p in first]
    assert digest == [hashlib.sha256(p.read_bytes()).hexdigest() for p in second]
    other = write_extract(generate(300, MEDICINES, seed=8), tmp_path / "c")
    assert hashlib.sha256(other[0].read_bytes()).hexdigest() != digest[0]


def test_the_extract_carries_what_the_rules_exist_for(tmp_path: Path) -> None:
    paths = write_extract(generate(2000, MEDICINES, seed=1), tmp_path)
    assignment = assign_parts([p.name for p in paths], SPEC)
    assert assignment.missing == () and assignment.unknown == ()
    frames = {
        part: pd.read_csv(tmp_path / name, sep=";", dtype=str, keep_default_na=False)
        for part, name in assignment.parts.items()
    }
    cases = frames["cases"]
    latest = rules.latest_versions(cases)
    assert len(latest) == 2000 < len(cases)  # several versions of some cases
    assert not rules.in_france(cases).all()  # foreign cases
    assert cases["SEXE"].eq("").any() and cases["AGE"].eq("").any()
    assert cases["U_AGE"].isin(["MOIS", "SEMAINES"]).any()
    assert cases["AGE"].str.contains(",").any()
    _labels, unknown = rules.french_soc(frames["effects"]["EFFET_SOC"])
    assert not unknown.any()  # every SOC, English or French, is known
    assert frames["effects"]["EFFET_SOC"].isin(list(rules.SOC_FRENCH)).any()
    assert frames["effects"]["DATE_DEB"].str.startswith("//").any()
    assert frames["drugs"]["MEDICAMENT"].isin(["DOLIPRANE", "ADVIL"]).any()
    _linked, report = link_parts(frames, SPEC)
    assert report.orphans == {"effects": 0, "drugs": 0}
    cleaned = clean_extract(frames)
    counts = cleaned.counts
    assert counts["old_versions"] == len(cases) - 2000
    assert counts["cases"] == 2000 - counts["foreign"] > 1800
    assert cleaned.cases[["AER_ID", "CAS"]].duplicated().sum() == 0
    assert counts["age_recovered"] > 0 and counts["soc_unknown"] == 0


def test_a_brand_is_the_speciality_name_without_strength_and_form() -> None:
    from datasets.families.pharmacovigilance.generator import brand_of

    assert brand_of("DOLIPRANE 1000 mg, comprimé") == "DOLIPRANE"
    assert brand_of("A 313 200 000 UI POUR CENT, pommade") == "A"
    assert brand_of("SPASFON LYOC, lyophilisat oral") == "SPASFON LYOC"
