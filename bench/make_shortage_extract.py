"""Synthetic TrustMed-like extract of shortage declarations, from the real BDPM.

    python bench/make_shortage_extract.py OUT.csv --rows 1000000 [--seed 1]
        [--truth TRUTH.npy]

Semicolon CSV, UTF-8, French headers. A declaration ("21-01234") covers one to
three presentations of one speciality (several rows sharing the number, each
with its own CIP13). CIP13 codes, names, holders, substances and ATC codes come
from the real BDPM files (``$DATAMED_SHARED_DIR/data/real/bdpm``). About 15 % of
the rows have no CIP13 (matching must work on the name, sometimes lower-cased or
without accents), about 0.5 % carry an impossible date ("31/02/2021"), about
0.5 % a CIP13 with a wrong check digit and about 0.5 % are drafts.

Everything is vectorised: a million rows take a few seconds. ``--truth`` saves
the CIS each data row really names (``numpy`` array of strings, file order), to
score the matching.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

HEADERS = (
    "Numéro",
    "Etat",
    "Classification",
    "Date de déclaration",
    "Date de début",
    "Date de remise à disposition prévisionnelle",
    "Date de remise à disposition",
    "Laboratoire exploitant",
    "CIP13",
    "Spécialité",
    "DCI",
    "Code ATC",
    "Circuit",
    "Cause",
)
CLASSIFICATIONS = np.array(["Rupture de stock", "Risque de rupture de stock"])
CLASSIFICATION_WEIGHTS = (0.45, 0.55)
CIRCUITS = np.array(["ville", "hôpital", "commun"])
CIRCUIT_WEIGHTS = (0.45, 0.35, 0.20)
CAUSES = np.array(
    [
        "Incident de production",
        "Augmentation du volume de vente",
        "Capacité de production insuffisante",
        "Autre",
    ]
)
CAUSE_WEIGHTS = (0.35, 0.25, 0.25, 0.15)
INVALID_DATES = np.array(["31/02/2021", "30/02/2019", "31/04/2022", "31/06/2017"])
FIRST_DAY = np.datetime64("2014-01-01")
LAST_DAY = np.datetime64("2024-12-31")

NO_CIP_SHARE = 0.15
BAD_DATE_SHARE = 0.005
BAD_CHECK_DIGIT_SHARE = 0.005
DRAFT_SHARE = 0.005
NO_RETURN_SHARE = 0.40
NO_EXPECTED_SHARE = 0.20


def _shared_dir() -> Path:
    override = os.environ.get("DATAMED_SHARED_DIR")
    return (
        Path(override) if override else Path(__file__).resolve().parents[2] / "shared"
    )


BDPM_DIR = _shared_dir() / "data" / "real" / "bdpm"


def _lines(path: Path) -> list[list[str]]:
    """Tab-separated fields of a BDPM file (UTF-8, else windows-1252)."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252")
    return [
        line.rstrip("\r").split("\t") for line in text.split("\n") if line.strip()
    ]


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass
class Referential:
    """Presentations grouped by speciality, with the speciality's columns."""

    cis: np.ndarray  # one per speciality
    names: np.ndarray  # (3, n): as in the BDPM, lower-cased, without accents
    holders: np.ndarray
    substances: np.ndarray
    atc: np.ndarray
    first: np.ndarray  # index of the speciality's first presentation in ``cip13``
    count: np.ndarray  # its number of presentations
    cip13: np.ndarray  # presentations, sorted by speciality


def load_referential(directory: Path = BDPM_DIR) -> Referential:
    """The specialities of the BDPM that have at least one CIP13."""
    specialities: dict[str, tuple[str, str]] = {}
    for fields in _lines(directory / "CIS_bdpm.txt"):
        if len(fields) > 10:
            specialities[fields[0].strip()] = (
                " ".join(fields[1].split()),
                " ".join(fields[10].split()),
            )
    atc = {
        f[0].strip(): f[1].strip()
        for f in _lines(directory / "CIS_MITM.txt")
        if len(f) > 1
    }
    substances: dict[str, str] = {}
    for fields in _lines(directory / "CIS_COMPO_bdpm.txt"):
        if len(fields) > 6 and fields[6].strip() == "SA":
            substances.setdefault(fields[0].strip(), " ".join(fields[3].split()))
    pairs = sorted(
        {
            (f[0].strip(), f[6].strip())
            for f in _lines(directory / "CIS_CIP_bdpm.txt")
            if len(f) > 6 and f[0].strip() in specialities and len(f[6].strip()) == 13
        }
    )
    cip_cis = np.array([p[0] for p in pairs], dtype=object)
    cip13 = np.array([p[1] for p in pairs], dtype=object)
    cis, first, count = np.unique(cip_cis, return_index=True, return_counts=True)
    names = [specialities[c][0] for c in cis]
    return Referential(
        cis=cis.astype(object),
        names=np.array(
            [names, [n.lower() for n in names], [_strip_accents(n) for n in names]],
            dtype=object,
        ),
        holders=np.array([specialities[c][1] for c in cis], dtype=object),
        substances=np.array([substances.get(c, "") for c in cis], dtype=object),
        atc=np.array([atc.get(c, "") for c in cis], dtype=object),
        first=first,
        count=count,
        cip13=cip13,
    )


def _date_strings(days: np.ndarray) -> np.ndarray:
    """DD/MM/YYYY of day numbers (since FIRST_DAY), through a lookup table."""
    span = int(days.max()) + 1 if len(days) else 1
    calendar = pd.date_range(str(FIRST_DAY), periods=span, freq="D")
    table = np.asarray(calendar.strftime("%d/%m/%Y"), dtype=object)
    return table[days]


def make_frame(
    rows: int, seed: int = 1, referential: Referential | None = None
) -> tuple[pd.DataFrame, np.ndarray]:
    """The extract as a frame of strings (columns ``HEADERS``) and the true CIS
    of each row."""
    ref = referential or load_referential()
    rng = np.random.default_rng(seed)
    # Declarations of one to three presentations, until there are enough rows.
    declarations = rows + 10  # more than needed: the surplus is cut below
    wanted = rng.choice([1, 2, 3], size=declarations, p=[0.45, 0.35, 0.20])
    speciality = rng.integers(0, len(ref.cis), size=declarations)
    per_declaration = np.minimum(wanted, ref.count[speciality])
    ends = np.cumsum(per_declaration)
    declarations = int(np.searchsorted(ends, rows) + 1)
    per_declaration = per_declaration[:declarations]
    speciality = speciality[:declarations]
    owner = np.repeat(np.arange(declarations), per_declaration)[:rows]
    starts = np.concatenate(([0], np.cumsum(per_declaration)[:-1]))
    rank = np.arange(len(owner)) - starts[owner]  # presentation within declaration

    # Per declaration: dates, number, state and the other shared columns.
    total_days = int((LAST_DAY - FIRST_DAY).astype(int))
    declared = rng.integers(0, total_days + 1, size=declarations)
    started = declared + rng.integers(0, 31, size=declarations)
    expected = started + rng.integers(7, 181, size=declarations)
    returned = started + rng.integers(1, 366, size=declarations)
    has_return = rng.random(declarations) >= NO_RETURN_SHARE
    has_expected = rng.random(declarations) >= NO_EXPECTED_SHARE
    years = (FIRST_DAY + declared.astype("timedelta64[D]")).astype("datetime64[Y]")
    year = years.astype(int) + 1970
    # Sequence numbers within each year, in random order (the file is not sorted).
    order = np.lexsort((rng.random(declarations), year))
    sequence = np.empty(declarations, dtype=np.int64)
    year_sorted = year[order]
    group_start = np.searchsorted(year_sorted, year_sorted, side="left")
    sequence[order] = np.arange(declarations) - group_start + 1
    numbers = (
        pd.Series(year % 100).astype(str).str.zfill(2)
        + "-"
        + pd.Series(sequence).astype(str).str.zfill(5)
    ).to_numpy(dtype=object)
    state = np.where(has_return, "Clôturé", "Ouvert").astype(object)
    state[rng.random(declarations) < DRAFT_SHARE] = "Brouillon"
    classification = rng.choice(CLASSIFICATIONS, declarations, p=CLASSIFICATION_WEIGHTS)
    circuit = rng.choice(CIRCUITS, declarations, p=CIRCUIT_WEIGHTS)
    cause = rng.choice(CAUSES, declarations, p=CAUSE_WEIGHTS)

    day_text = _date_strings(np.concatenate([declared, started, expected, returned]))
    declared_text, started_text, expected_text, returned_text = np.split(day_text, 4)
    expected_text = np.where(has_expected, expected_text, "")
    returned_text = np.where(has_return, returned_text, "")

    # Per row.
    spec = speciality[owner]
    cip = ref.cip13[ref.first[spec] + rank].copy()
    name = ref.names[0][spec].copy()
    # No CIP13 on the first row of some declarations: the name must do. Only the
    # first row, so that two rows of a declaration never share a name-only key.
    no_cip_share = min(1.0, NO_CIP_SHARE * len(owner) / declarations)
    no_cip = (rank == 0) & (rng.random(len(owner)) < no_cip_share)
    cip[no_cip] = ""
    variant = rng.choice([0, 1, 2], size=len(owner), p=[0.5, 0.25, 0.25])
    name[no_cip] = ref.names[variant[no_cip], spec[no_cip]]
    # Wrong check digit on some CIP13 codes.
    bad_check = (~no_cip) & (rng.random(len(owner)) < BAD_CHECK_DIGIT_SHARE)
    if bad_check.any():
        codes = pd.Series(cip[bad_check], dtype=str)
        digit = (codes.str[-1].astype(int) + 1 + rng.integers(0, 9, len(codes))) % 10
        cip[bad_check] = (codes.str[:-1] + digit.astype(str)).to_numpy(dtype=object)
    declared_rows = declared_text[owner].copy()
    bad_date = rng.random(len(owner)) < BAD_DATE_SHARE
    declared_rows[bad_date] = rng.choice(INVALID_DATES, int(bad_date.sum()))

    frame = pd.DataFrame(
        {
            HEADERS[0]: numbers[owner],
            HEADERS[1]: state[owner],
            HEADERS[2]: classification[owner],
            HEADERS[3]: declared_rows,
            HEADERS[4]: started_text[owner],
            HEADERS[5]: expected_text[owner],
            HEADERS[6]: returned_text[owner],
            HEADERS[7]: ref.holders[spec],
            HEADERS[8]: cip,
            HEADERS[9]: name,
            HEADERS[10]: ref.substances[spec],
            HEADERS[11]: ref.atc[spec],
            HEADERS[12]: circuit[owner],
            HEADERS[13]: cause[owner],
        }
    )
    return frame, ref.cis[spec]


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, sep=";", index=False, encoding="utf-8", lineterminator="\n")


def generate(
    path: Path, rows: int, seed: int = 1, truth: Path | None = None
) -> None:
    """Write ``rows`` data rows to ``path`` (and the true CIS per row to ``truth``)."""
    frame, cis = make_frame(rows, seed)
    write_csv(frame, Path(path))
    if truth is not None:
        np.save(truth, cis.astype(str))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--truth", type=Path, help="save the true CIS per row (.npy)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    generate(args.out, args.rows, args.seed, truth=args.truth)
    seconds = time.perf_counter() - start
    size = args.out.stat().st_size / 1024**2
    sys.stderr.write(
        f"{args.rows} rows written to {args.out} ({size:.1f} MiB) in {seconds:.1f} s\n"
    )


if __name__ == "__main__":
    main()
