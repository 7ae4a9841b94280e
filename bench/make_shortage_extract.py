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
import pyarrow as pa
import pyarrow.compute as pc

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
STATES = ["Ouvert", "Clôturé", "Brouillon"]
CLASSIFICATIONS = ["Rupture de stock", "Risque de rupture de stock"]
CLASSIFICATION_WEIGHTS = (0.45, 0.55)
CIRCUITS = ["ville", "hôpital", "commun"]
CIRCUIT_WEIGHTS = (0.45, 0.35, 0.20)
CAUSES = [
    "Incident de production",
    "Augmentation du volume de vente",
    "Capacité de production insuffisante",
    "Autre",
]
CAUSE_WEIGHTS = (0.35, 0.25, 0.25, 0.15)
INVALID_DATES = ["31/02/2021", "30/02/2019", "31/04/2022", "31/06/2017"]
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
    return [line.rstrip("\r").split("\t") for line in text.split("\n") if line.strip()]


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


def _csv_text(values: np.ndarray | list[str]) -> pa.Array:
    """Strings as CSV cells: quoted (RFC 4180) only when they need it."""
    cells = [
        '"' + v.replace('"', '""') + '"' if any(c in v for c in ';"\r\n') else v
        for v in values
    ]
    return pa.array(cells, type=pa.string())


def _take(dictionary: pa.Array, indices: np.ndarray) -> pa.Array:
    return dictionary.take(pa.array(indices.astype(np.int32, copy=False)))


def make_columns(
    rows: int, seed: int = 1, referential: Referential | None = None
) -> tuple[dict[str, pa.Array], np.ndarray]:
    """The extract's columns, as CSV cells (``HEADERS`` order), and the true CIS of
    each row. Every column is a small dictionary taken by integer indices."""
    ref = referential or load_referential()
    rng = np.random.default_rng(seed)
    # Declarations of one to three presentations, until there are enough rows.
    declarations = rows + 10  # more than needed: the surplus is cut below
    wanted = rng.choice([1, 2, 3], size=declarations, p=[0.45, 0.35, 0.20])
    speciality = rng.integers(0, len(ref.cis), size=declarations)
    per_declaration = np.minimum(wanted, ref.count[speciality])
    declarations = int(np.searchsorted(np.cumsum(per_declaration), rows) + 1)
    per_declaration = per_declaration[:declarations]
    speciality = speciality[:declarations]
    owner = np.repeat(np.arange(declarations), per_declaration)[:rows]
    starts = np.concatenate(([0], np.cumsum(per_declaration)[:-1]))
    rank = np.arange(rows) - starts[owner]  # presentation within its declaration
    spec = speciality[owner]

    # Per declaration: dates (day numbers since FIRST_DAY), number, state…
    total_days = int((LAST_DAY - FIRST_DAY).astype(int))
    declared = rng.integers(0, total_days + 1, size=declarations)
    started = declared + rng.integers(0, 31, size=declarations)
    expected = started + rng.integers(7, 181, size=declarations)
    returned = started + rng.integers(1, 366, size=declarations)
    has_return = rng.random(declarations) >= NO_RETURN_SHARE
    has_expected = rng.random(declarations) >= NO_EXPECTED_SHARE
    days = FIRST_DAY + declared.astype("timedelta64[D]")
    year = days.astype("datetime64[Y]").astype(np.int64) + 1970
    # Numbers run per year, in random order (the file is not sorted).
    order = np.lexsort((rng.random(declarations), year))
    year_sorted = year[order]
    sequence = np.empty(declarations, dtype=np.int64)
    sequence[order] = (
        np.arange(declarations) - np.searchsorted(year_sorted, year_sorted) + 1
    )
    numbers = pc.binary_join_element_wise(
        pc.utf8_lpad(pc.cast(pa.array(year % 100), pa.string()), width=2, padding="0"),
        pc.utf8_lpad(pc.cast(pa.array(sequence), pa.string()), width=5, padding="0"),
        "-",
    )
    state = np.where(has_return, 1, 0)
    state[rng.random(declarations) < DRAFT_SHARE] = 2

    # Dates: one dictionary, the calendar then "" then the impossible dates.
    span = int(max(expected.max(), returned.max())) + 1
    calendar = pd.date_range(str(FIRST_DAY), periods=span, freq="D")
    date_cells = pa.array(
        [*calendar.strftime("%d/%m/%Y"), "", *INVALID_DATES], type=pa.string()
    )
    empty_date = span
    declared_rows = declared[owner]
    bad_date = rng.random(rows) < BAD_DATE_SHARE
    declared_rows[bad_date] = (
        span + 1 + rng.integers(0, len(INVALID_DATES), bad_date.sum())
    )

    # Medicine: CIP13 of the declaration's rank-th presentation, or none on the
    # first row of some declarations (only the first, so that two rows of one
    # declaration never share a name-only key), or a wrong check digit.
    cip = ref.first[spec] + rank
    no_cip_share = min(1.0, NO_CIP_SHARE * rows / declarations)
    no_cip = (rank == 0) & (rng.random(rows) < no_cip_share)
    bad_check = (~no_cip) & (rng.random(rows) < BAD_CHECK_DIGIT_SHARE)
    wrong = pd.Series(ref.cip13[cip[bad_check]], dtype=str)
    digit = (wrong.str[-1].astype(int) + 1 + rng.integers(0, 9, len(wrong))) % 10
    wrong_codes = (wrong.str[:-1] + digit.astype(str)).tolist()
    cip_cells = pa.array([*ref.cip13, "", *wrong_codes], type=pa.string())
    cip[no_cip] = len(ref.cip13)
    cip[bad_check] = len(ref.cip13) + 1 + np.arange(len(wrong_codes))
    variant = np.zeros(rows, dtype=np.int64)
    variant[no_cip] = rng.choice([0, 1, 2], size=int(no_cip.sum()), p=[0.5, 0.25, 0.25])

    columns = {
        HEADERS[0]: _take(numbers, owner),
        HEADERS[1]: _take(_csv_text(STATES), state[owner]),
        HEADERS[2]: _take(
            _csv_text(CLASSIFICATIONS),
            rng.choice(2, declarations, p=CLASSIFICATION_WEIGHTS)[owner],
        ),
        HEADERS[3]: _take(date_cells, declared_rows),
        HEADERS[4]: _take(date_cells, started[owner]),
        HEADERS[5]: _take(
            date_cells, np.where(has_expected, expected, empty_date)[owner]
        ),
        HEADERS[6]: _take(
            date_cells, np.where(has_return, returned, empty_date)[owner]
        ),
        HEADERS[7]: _take(_csv_text(ref.holders), spec),
        HEADERS[8]: _take(cip_cells, cip),
        HEADERS[9]: _take(_csv_text(ref.names.ravel()), variant * len(ref.cis) + spec),
        HEADERS[10]: _take(_csv_text(ref.substances), spec),
        HEADERS[11]: _take(_csv_text(ref.atc), spec),
        HEADERS[12]: _take(
            _csv_text(CIRCUITS), rng.choice(3, declarations, p=CIRCUIT_WEIGHTS)[owner]
        ),
        HEADERS[13]: _take(
            _csv_text(CAUSES),
            rng.choice(len(CAUSES), declarations, p=CAUSE_WEIGHTS)[owner],
        ),
    }
    return columns, ref.cis[spec]


def make_frame(
    rows: int, seed: int = 1, referential: Referential | None = None
) -> tuple[pd.DataFrame, np.ndarray]:
    """The extract as a frame of strings (as written, so a cell that needed CSV
    quotes keeps them) and the true CIS of each row."""
    columns, truth = make_columns(rows, seed, referential)
    return pa.table(columns).to_pandas(), truth


def write_csv(columns: dict[str, pa.Array], path: Path) -> None:
    """Header, then one line per row: the cells joined in Arrow (C++), the
    resulting buffer written as is."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = pc.binary_join_element_wise(*columns.values(), ";")
    lines = pc.binary_join_element_wise(lines, "", "\n")  # line + "\n" + ""
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)
    offsets = offsets[lines.offset : lines.offset + len(lines) + 1]
    data = memoryview(lines.buffers()[2])[offsets[0] : offsets[-1]]
    with path.open("wb") as handle:
        handle.write((";".join(columns) + "\n").encode("utf-8"))
        handle.write(data)


def generate(path: Path, rows: int, seed: int = 1, truth: Path | None = None) -> None:
    """Write ``rows`` data rows to ``path`` (and the true CIS per row to ``truth``)."""
    columns, cis = make_columns(rows, seed)
    write_csv(columns, Path(path))
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
