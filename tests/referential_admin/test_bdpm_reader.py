"""Tests of referential_admin.bdpm (pure pandas readers, no Django, no database).

Real-file tests use the public BDPM snapshot bundled with the tests (see
``tests.realdata``).
Reading the whole folder (10 files, about 20 MB) took about 0.6-0.9 s on the 2-core
development machine; this is reported, not asserted (no timed tests).
"""

from __future__ import annotations

import io
import re
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from referential_admin.bdpm import (
    MESSAGES,
    SPECS,
    BdpmTable,
    FileSpec,
    detect_encoding,
    implausible_date_mask,
    normalise_rate,
    normalise_rates,
    parse_dates,
    parse_prices,
    read_bdpm_dir,
    read_bdpm_file,
    spec_for_filename,
    split_multi,
)
from referential_admin.codes import cip7_to_cip13, valid_cip13_mask, valid_cis_mask
from tests.referential_admin.conftest import REAL_BDPM

RSQUO = "\u2019"  # right single quotation mark, byte 0x92 in windows-1252
BDPM_DIR = REAL_BDPM
# The real files are part of the test environment: missing, they fail.
needs_real_data = pytest.mark.usefixtures("real_bdpm_dir")


@pytest.fixture(scope="module")
def tables() -> dict[str, BdpmTable]:
    if not BDPM_DIR.is_dir():
        pytest.fail(f"real BDPM files not found in {BDPM_DIR}")
    return read_bdpm_dir(BDPM_DIR)


def _raw_record_field_counts(path: Path) -> list[int]:
    """Independent count: split bytes on LF, drop one CR, count TAB-separated fields.

    Returns one entry per record; blank records (only CR/spaces) count as 0.
    """
    pieces = path.read_bytes().split(b"\n")
    if pieces[-1] == b"":
        pieces.pop()
    counts = []
    for piece in pieces:
        record = piece[:-1] if piece.endswith(b"\r") else piece
        counts.append(0 if not record.strip() else record.count(b"\t") + 1)
    return counts


# --------------------------------------------------------------------------------------
# Real files
# --------------------------------------------------------------------------------------

# file -> (records read, rows kept, rejected lines, encoding)
EXPECTED = {
    "CIS_bdpm.txt": (15848, 15848, 0, "cp1252"),
    "CIS_CIP_bdpm.txt": (20874, 20874, 0, "utf-8"),
    "CIS_COMPO_bdpm.txt": (32389, 32389, 0, "cp1252"),
    "CIS_GENER_bdpm.txt": (10728, 10728, 0, "cp1252"),
    "CIS_CPD_bdpm.txt": (28151, 28151, 3, "cp1252"),
    "CIS_MITM.txt": (7711, 7711, 0, "cp1252"),
    "CIS_CIP_Dispo_Spec.txt": (766, 766, 0, "latin-1"),
    "HAS_LiensPageCT_bdpm.txt": (10342, 10342, 0, "utf-8"),
    "CIS_HAS_SMR_bdpm.txt": (13778, 13778, 0, "cp1252"),
    "CIS_HAS_ASMR_bdpm.txt": (8908, 8908, 0, "cp1252"),
}


@needs_real_data
def test_every_known_file_is_read(tables: dict[str, BdpmTable]) -> None:
    assert set(tables) == set(EXPECTED)


@needs_real_data
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_counts_and_encoding(tables: dict[str, BdpmTable], name: str) -> None:
    records, rows, rejected, encoding = EXPECTED[name]
    table = tables[name]
    assert table.records_read == records
    assert len(table.frame) == rows
    assert len(table.rejected) == rejected
    assert table.encoding == encoding
    assert list(table.frame.columns) == list(SPECS[name].columns)
    # Cross-check with an independent byte-level count.
    counts = _raw_record_field_counts(BDPM_DIR / name)
    assert sum(1 for c in counts if c) == records
    assert sum(1 for c in counts if c == SPECS[name].column_count) == rows


@needs_real_data
def test_frame_is_string_typed_and_indexed_by_line(
    tables: dict[str, BdpmTable],
) -> None:
    frame = tables["CIS_COMPO_bdpm.txt"].frame
    assert all(isinstance(dtype, pd.StringDtype) for dtype in frame.dtypes)
    assert frame.index.name == "line_number"
    assert frame.index[0] == 1
    # Substance codes keep their leading zeros.
    assert frame["substance_code"].str.fullmatch(r"[0-9]{5}").all()
    assert frame["substance_code"].str.startswith("0").sum() > 0
    # Empty fields are NA, never "".
    for table in tables.values():
        for column in table.frame.columns:
            assert not (table.frame[column] == "").any()


@needs_real_data
def test_cpd_bare_cr_lines_are_reported(tables: dict[str, BdpmTable]) -> None:
    table = tables["CIS_CPD_bdpm.txt"]
    assert [r.line_number for r in table.rejected] == [27673, 27675, 27677]
    assert {r.reason for r in table.rejected} == {"Ligne vide (retour chariot isolé)"}
    assert {r.file for r in table.rejected} == {"CIS_CPD_bdpm.txt"}
    assert {r.raw for r in table.rejected} == {"\r"}
    # The conditions just before keep no stray CR.
    condition = table.frame.loc[27672, "condition"]
    assert isinstance(condition, str)
    assert condition.endswith("hospitalier")
    assert table.line_count == 28154


@needs_real_data
def test_has_links_is_ascii(tables: dict[str, BdpmTable]) -> None:
    assert (BDPM_DIR / "HAS_LiensPageCT_bdpm.txt").read_bytes().isascii()
    assert tables["HAS_LiensPageCT_bdpm.txt"].encoding == "utf-8"


@needs_real_data
def test_apostrophe_accents_and_no_c1_characters(
    tables: dict[str, BdpmTable],
) -> None:
    cis = tables["CIS_bdpm.txt"].frame
    assert cis["name"].str.contains(RSQUO, regex=False).sum() == 28
    assert (cis["pharmaceutical_form"] == "comprimé").sum() > 0
    for table in tables.values():
        for column in table.frame.columns:
            c1 = table.frame[column].str.contains("[\u0080-\u009f]", regex=True)
            assert not c1.fillna(False).any(), (table.file, column)


@needs_real_data
def test_fields_are_stripped(tables: dict[str, BdpmTable]) -> None:
    cis = tables["CIS_bdpm.txt"].frame
    raw_holders = [
        line.split(b"\t")[10]
        for line in (BDPM_DIR / "CIS_bdpm.txt").read_bytes().splitlines()
    ]
    assert all(holder.startswith(b" ") for holder in raw_holders)  # source quirk
    assert not cis["holders"].str.startswith(" ").any()
    assert not cis["pharmaceutical_form"].str.startswith(" ").any()
    assert not cis["pharmaceutical_form"].str.contains("  ", regex=False).any()
    for table in tables.values():
        for column in table.frame.columns:
            values = table.frame[column].dropna()
            assert (values == values.str.strip()).all(), (table.file, column)


@needs_real_data
def test_dates_parse_and_2924_is_flagged(tables: dict[str, BdpmTable]) -> None:
    cip = tables["CIS_CIP_bdpm.txt"].frame
    dates, invalid = parse_dates(cip["marketing_date"])
    assert not invalid.any()
    assert dates.notna().all()
    implausible = implausible_date_mask(dates)
    assert implausible.sum() == 1
    assert dates[implausible].iloc[0] == pd.Timestamp(2924, 11, 29)
    assert cip.loc[implausible, "cip13"].tolist() == ["3400955097891"]
    # Raw strings are accepted too.
    assert implausible_date_mask(cip["marketing_date"]).sum() == 1
    has = tables["CIS_HAS_SMR_bdpm.txt"].frame
    opinion, invalid = parse_dates(has["opinion_date"], "%Y%m%d")
    assert not invalid.any()
    assert opinion.max() == pd.Timestamp(2023, 9, 6)


@needs_real_data
def test_real_prices(tables: dict[str, BdpmTable]) -> None:
    cip = tables["CIS_CIP_bdpm.txt"].frame
    above_1000 = 0
    for column in ("price", "price_with_fee", "dispensing_fee"):
        values, invalid = parse_prices(cip[column])
        assert not invalid.any()
        assert values.notna().sum() == cip[column].notna().sum()
        above_1000 += sum(1 for v in values if v is not None and v > 1000)
    # Independent method: raw price fields with a thousands comma (2+ commas).
    text = (BDPM_DIR / "CIS_CIP_bdpm.txt").read_text(encoding="utf-8")
    with_thousands = sum(
        1
        for line in text.splitlines()
        for price in line.split("\t")[9:12]
        if price.count(",") >= 2
    )
    assert above_1000 == with_thousands == 963
    first = parse_prices(cip["price"])[0].loc[1]
    assert first == Decimal("24.34")


@needs_real_data
def test_real_codes(tables: dict[str, BdpmTable]) -> None:
    cip = tables["CIS_CIP_bdpm.txt"].frame
    assert cip["cip13"].is_unique
    assert valid_cip13_mask(cip["cip13"]).all()
    assert valid_cis_mask(cip["cis"]).all()
    first = cip.loc[1]
    assert (first["cip7"], first["cip13"]) == ("4949729", "3400949497294")
    # In this snapshot every CIP13 derives from its CIP7.
    derived = [cip7_to_cip13(code) for code in cip["cip7"]]
    assert derived == cip["cip13"].tolist()
    dispo = tables["CIS_CIP_Dispo_Spec.txt"].frame
    assert dispo["cip13"].notna().sum() == 35
    assert valid_cip13_mask(dispo["cip13"].dropna()).all()


@needs_real_data
def test_multi_values_and_rates(tables: dict[str, BdpmTable]) -> None:
    cis = tables["CIS_bdpm.txt"].frame
    routes = split_multi(cis["routes"])
    assert ["cutanée", "orale", "sublinguale"] in routes.tolist()
    assert all(route for values in routes for route in values)
    cip = tables["CIS_CIP_bdpm.txt"].frame
    raw_rates = set(cip["reimbursement_rates"].dropna())
    assert {"65%", "65 %"} <= raw_rates
    rates = set(normalise_rates(cip["reimbursement_rates"]).dropna())
    assert rates == {"15%", "30%", "35%", "65%", "100%"}


# --------------------------------------------------------------------------------------
# Hand-made byte strings, one quirk each
# --------------------------------------------------------------------------------------

CPD = SPECS["CIS_CPD_bdpm.txt"]
CIP = SPECS["CIS_CIP_bdpm.txt"]
CIS_LINE = (
    "61266250\tA 313, pommade\tpommade\tcutanée\tAutorisation active\t"
    "Procédure nationale\tCommercialisée\t12/03/1998\t\t\t PHARMA DEV\tNon"
)
CIP_LINE = (
    "60002283\t4949729\tplaquette(s) de 30 comprimé(s)\tPrésentation active\t"
    "Déclaration de commercialisation\t16/03/2011\t3400949497294\toui\t100%\t"
    "24,34\t25,36\t1,02\t"
)


def test_detect_encoding_cp1252_apostrophe() -> None:
    data = f"60000001\tconservation d{RSQUO}organes\r\n".encode("cp1252")
    assert b"\x92" in data
    assert detect_encoding(data) == "cp1252"
    table = read_bdpm_file(data, CPD)
    assert table.encoding == "cp1252"
    assert table.frame["condition"].tolist() == [f"conservation d{RSQUO}organes"]


def test_detect_encoding_latin1_without_c1_bytes() -> None:
    data = "60000001\tRemise à disposition\r\n".encode("latin-1")
    assert detect_encoding(data) == "latin-1"
    assert read_bdpm_file(data, CPD).frame["condition"].iloc[0] == (
        "Remise à disposition"
    )


def test_detect_encoding_undefined_cp1252_byte_falls_back_to_latin1() -> None:
    data = b"60000001\tx\x81y\xe9\r\n"
    assert detect_encoding(data) == "latin-1"
    assert read_bdpm_file(data, CPD).frame["condition"].iloc[0] == "x\x81yé"


def test_detect_encoding_utf8_with_bom() -> None:
    data = b"\xef\xbb\xbf" + "60000001\tcomprimé\n".encode()
    assert detect_encoding(data) == "utf-8"
    table = read_bdpm_file(data, CPD)
    assert table.frame["cis"].tolist() == ["60000001"]
    assert table.rejected == []
    assert detect_encoding(b"plain ascii") == "utf-8"


def test_forced_encoding() -> None:
    data = "60000001\tcomprimé\n".encode()
    table = read_bdpm_file(data, CPD, encoding="latin-1")
    assert table.encoding == "latin-1"
    assert table.frame["condition"].iloc[0] == "comprimÃ©"


def test_bare_cr_and_empty_lines_are_reported() -> None:
    data = b"60000001\tliste I\r\r\n\r\r\n60000002\tliste II\r\n\r\n60000003\tx\r\n"
    table = read_bdpm_file(data, CPD)
    assert table.frame["condition"].tolist() == ["liste I", "liste II", "x"]
    assert table.frame.index.tolist() == [1, 3, 5]
    assert [(r.line_number, r.reason) for r in table.rejected] == [
        (2, "Ligne vide (retour chariot isolé)"),
        (4, "Ligne vide"),
    ]
    assert table.records_read == 3
    assert table.line_count == 5


def test_no_final_newline_and_empty_input() -> None:
    table = read_bdpm_file(b"60000001\ta\r\n60000002\tb", CPD)
    assert table.frame["cis"].tolist() == ["60000001", "60000002"]
    empty = read_bdpm_file(b"", CPD)
    assert empty.records_read == 0
    assert list(empty.frame.columns) == ["cis", "condition"]
    assert empty.frame.empty


def test_extra_trailing_empty_tab_is_accepted() -> None:
    spec = SPECS["CIS_COMPO_bdpm.txt"]
    line = "60002283\tcomprimé\t42215\tANASTROZOLE\t1,00 mg\tun comprimé\tSA\t1\t"
    table = read_bdpm_file((line + "\r\n").encode("cp1252"), spec)
    assert table.rejected == []
    assert table.frame.iloc[0].tolist() == [
        "60002283",
        "comprimé",
        "42215",
        "ANASTROZOLE",
        "1,00 mg",
        "un comprimé",
        "SA",
        "1",
    ]


def test_too_many_and_too_few_fields_are_rejected() -> None:
    data = (CIS_LINE + "\textra\n" + CIS_LINE + "\n" + "61266250\tA 313\n").encode()
    table = read_bdpm_file(data, SPECS["CIS_bdpm.txt"])
    assert len(table.frame) == 1
    assert table.frame.index.tolist() == [2]
    assert [(r.line_number, r.reason) for r in table.rejected] == [
        (1, "12 champs attendus, 13 trouvés"),
        (3, "12 champs attendus, 2 trouvés"),
    ]
    assert table.rejected[0].raw == CIS_LINE + "\textra"


def test_invalid_cis_is_rejected() -> None:
    data = b"1234\tliste I\n60000001\tliste II\n\tliste III\n6000000A\tx\n"
    table = read_bdpm_file(data, CPD)
    assert table.frame["cis"].tolist() == ["60000001"]
    assert [(r.line_number, r.reason) for r in table.rejected] == [
        (1, "Code CIS invalide « 1234 » : 8 chiffres attendus"),
        (3, "Code CIS manquant"),
        (4, "Code CIS invalide « 6000000A » : 8 chiffres attendus"),
    ]


def test_invalid_cip13_check_digit_is_rejected() -> None:
    bad_key = CIP_LINE.replace("3400949497294", "3400949497295")
    bad_shape = CIP_LINE.replace("3400949497294", "340094949729")
    data = "\n".join([CIP_LINE, bad_key, bad_shape]).encode()
    table = read_bdpm_file(data, CIP)
    assert table.frame["cip13"].tolist() == ["3400949497294"]
    assert [r.reason for r in table.rejected] == [
        "Code CIP13 invalide « 3400949497295 » : clé de contrôle EAN-13 incorrecte",
        "Code CIP13 invalide « 340094949729 » : 13 chiffres attendus",
    ]


def test_several_problems_on_one_line_are_joined() -> None:
    line = CIP_LINE.replace("\t4949729\t", "\t49497\t")
    line = line.replace("16/03/2011", "31/02/2020")
    table = read_bdpm_file(line.encode(), CIP)
    assert table.frame.empty
    assert table.rejected[0].reason == MESSAGES["reason_separator"].join(
        [
            "Code CIP7 invalide « 49497 » : 7 chiffres attendus",
            "Date invalide « 31/02/2020 »",
        ]
    )


def test_dispo_spec_cip13_optional_but_checked() -> None:
    spec = SPECS["CIS_CIP_Dispo_Spec.txt"]
    rows = [
        "61436304\t\t1\tRupture de stock\t14/04/2026\t18/05/2026\t\thttps://a",
        "61436304\t3400949497294\t1\tRupture de stock\t14/04/2026\t18/05/2026\t\tu",
        "61436304\t3400949497290\t1\tRupture de stock\t14/04/2026\t18/05/2026\t\tu",
    ]
    table = read_bdpm_file("\r\n".join(rows).encode("latin-1"), spec)
    assert table.frame["cip13"].tolist() == [pd.NA, "3400949497294"]
    assert [r.line_number for r in table.rejected] == [3]


def test_label_columns_collapse_double_spaces_only() -> None:
    line = CIP_LINE.replace("de 30", "de  30") + "texte  HTML"
    frame = read_bdpm_file(line.encode(), CIP).frame
    assert frame["label"].iloc[0] == "plaquette(s) de 30 comprimé(s)"
    assert frame["reimbursement_text"].iloc[0] == "texte  HTML"


def test_read_from_path_and_file_object(tmp_path: Path) -> None:
    path = tmp_path / "CIS_CPD_bdpm_20260724.txt"
    path.write_bytes(b"60000001\tliste I\r\n")
    from_path = read_bdpm_file(path)
    assert from_path.spec is SPECS["CIS_CPD_bdpm.txt"]
    assert from_path.file == "CIS_CPD_bdpm_20260724.txt"
    from_stream = read_bdpm_file(io.BytesIO(path.read_bytes()), CPD, filename="x.txt")
    assert from_stream.file == "x.txt"
    assert from_stream.rows() == [
        {"line_number": 1, "cis": "60000001", "condition": "liste I"}
    ]
    with pytest.raises(ValueError, match="non reconnu"):
        read_bdpm_file(b"x", filename="autre.txt")


def test_read_dir(tmp_path: Path) -> None:
    (tmp_path / "cis_cpd_bdpm.TXT").write_bytes(b"60000001\tliste I\n")
    (tmp_path / "HAS_LiensPageCT_bdpm.txt").write_bytes(b"CT-1\thttps://x\n")
    (tmp_path / "notes.txt").write_bytes(b"hello")
    tables = read_bdpm_dir(tmp_path)
    assert sorted(tables) == ["CIS_CPD_bdpm.txt", "HAS_LiensPageCT_bdpm.txt"]
    assert list(read_bdpm_dir(tmp_path, include_optional=False)) == ["CIS_CPD_bdpm.txt"]
    (tmp_path / "CIS_CPD_bdpm_2026.txt").write_bytes(b"60000001\tliste I\n")
    with pytest.raises(ValueError, match="Plusieurs fichiers"):
        read_bdpm_dir(tmp_path)


# --------------------------------------------------------------------------------------
# Specs, codes and converters
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "columns"),
    [
        ("CIS_bdpm.txt", 12),
        ("CIS_CIP_bdpm.txt", 13),
        ("CIS_COMPO_bdpm.txt", 8),
        ("CIS_GENER_bdpm.txt", 5),
        ("CIS_CPD_bdpm.txt", 2),
        ("CIS_CIP_Dispo_Spec.txt", 8),
        ("CIS_MITM.txt", 4),
        ("CIS_HAS_SMR_bdpm.txt", 6),
        ("CIS_HAS_ASMR_bdpm.txt", 6),
        ("HAS_LiensPageCT_bdpm.txt", 2),
    ],
)
def test_spec_column_counts(name: str, columns: int) -> None:
    spec = SPECS[name]
    assert isinstance(spec, FileSpec)
    assert spec.column_count == columns
    assert len(set(spec.columns)) == columns
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", column) for column in spec.columns)
    declared = (
        spec.required_columns
        + spec.cis_columns
        + spec.cip13_columns
        + spec.cip7_columns
        + spec.date_columns
        + spec.price_columns
        + spec.multi_value_columns
        + spec.label_columns
    )
    assert set(declared) <= set(spec.columns)


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("CIS_bdpm.txt", "CIS_bdpm.txt"),
        ("cis_bdpm.TXT", "CIS_bdpm.txt"),
        ("CIS_bdpm_20260724.txt", "CIS_bdpm.txt"),
        ("/data/in/CIS_CIP_bdpm.txt", "CIS_CIP_bdpm.txt"),
        ("CIS_CIP_bdpm_2026-07-24.txt", "CIS_CIP_bdpm.txt"),
        ("CIS_CIP_Dispo_Spec.txt", "CIS_CIP_Dispo_Spec.txt"),
        ("CIS_HAS_SMR_bdpm.txt", "CIS_HAS_SMR_bdpm.txt"),
        ("CIS_InfoImportantes_20260724120000_bdpm.txt", None),
        ("CIS_bdpmX.txt", None),
        ("README.md", None),
    ],
)
def test_spec_for_filename(filename: str, expected: str | None) -> None:
    spec = spec_for_filename(filename)
    assert (spec.name if spec else None) == expected


def test_parse_prices_synthetic() -> None:
    values, invalid = parse_prices(
        pd.Series(["24,34", "1,234,56", "12,345,67", "", None, "abc", "7", "1,2,3"])
    )
    assert values.tolist() == [
        Decimal("24.34"),
        Decimal("1234.56"),
        Decimal("12345.67"),
        None,
        None,
        None,
        Decimal("7"),
        None,
    ]
    assert invalid.tolist() == [False, False, False, False, False, True, False, True]


def test_parse_dates_synthetic() -> None:
    dates, invalid = parse_dates(
        pd.Series(["16/03/2011", "31/02/2020", "1/2/2020", "", None, "29/11/2924"])
    )
    assert dates.iloc[0] == pd.Timestamp(2011, 3, 16)
    assert dates.iloc[5] == pd.Timestamp(2924, 11, 29)
    assert invalid.tolist() == [False, True, True, False, False, False]
    assert implausible_date_mask(dates).tolist() == [
        False,
        False,
        False,
        False,
        False,
        True,
    ]
    assert implausible_date_mask(dates, max_year=3000).sum() == 0


def test_split_multi_and_rates() -> None:
    series = pd.Series(["cutanée; orale ;;sublinguale", None, " SANOFI "])
    assert split_multi(series).tolist() == [
        ["cutanée", "orale", "sublinguale"],
        [],
        ["SANOFI"],
    ]
    assert normalise_rate("65 %") == "65%"
    assert normalise_rate("30 % ; 65%") == "30%;65%"
    assert normalise_rate("  ") is None
    assert normalise_rate(None) is None
    assert normalise_rates(pd.Series(["65 %", "100%", "", None])).tolist() == [
        "65%",
        "100%",
        pd.NA,
        pd.NA,
    ]
