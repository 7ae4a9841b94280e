"""Reading raw extracts: format detection by content, strings everywhere, refusals.

Real-file tests read the bundled real files (see ``tests.realdata``); small cases are
written by hand.
"""

from __future__ import annotations

import codecs
import datetime as dt
import json
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from datasets.pipeline.read import (
    ColumnProfile,
    Detection,
    ReadError,
    profile_columns,
    read_table,
    sniff,
)
from tests.realdata import REAL, require

DISPOMED_CSV = REAL / "shortages" / "dispomed_big_table_for_import.csv"
DISPOMED_XLS = REAL / "shortages" / "dispomed_0E0F1000.xls"
DISPO_SPEC = REAL / "bdpm" / "CIS_CIP_Dispo_Spec.txt"
ANSM_2024 = REAL / "shortages" / "ansm_liste_ruptures_scrape_2024-07-02.json"
ANSM_2021 = REAL / "shortages" / "ansm_liste_ruptures_scrape_2021-04-05.json"


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def load(path: Path, **kwargs: object):
    detection = sniff(path, **kwargs)
    return detection, read_table(path, detection)


def refused(path: Path, **kwargs: object) -> ReadError:
    with pytest.raises(ReadError) as info:
        read_table(path, sniff(path, **kwargs))
    return info.value


def workbook(tmp_path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    path = tmp_path / "classeur.xlsx"
    book.save(path)
    return path


def assert_all_str(frame: pd.DataFrame) -> None:
    for column in frame.columns:
        assert all(type(value) is str for value in frame[column].tolist()), column


@pytest.fixture(scope="module", autouse=True)
def _real_files() -> None:
    """The real files must be there; their absence is a failure."""
    require(DISPOMED_CSV, DISPOMED_XLS, DISPO_SPEC, ANSM_2024, ANSM_2021)


# Real files ------------------------------------------------------------------


def test_dispomed_csv_utf8_bom_comma_header() -> None:
    detection, table = load(DISPOMED_CSV)
    assert (detection.format, detection.encoding) == ("csv", "utf-8-sig")
    assert (detection.delimiter, detection.header_row) == (",", 0)
    assert table.frame.shape == (933, 11)
    assert table.columns[:3] == ["normalized_name", "status", "start_date"]
    assert list(table.frame.columns) == table.columns
    assert table.row_numbers.dtype == np.int64
    assert table.row_numbers[0] == 2 and table.row_numbers[-1] == 934
    first = table.frame.iloc[0]
    assert first["normalized_name"].startswith("ABACAVIR, Lamivudine")  # quoted commas
    assert first["end_date"] == "2024-02-16"
    assert table.frame.iloc[1]["end_date"] == ""
    assert_all_str(table.frame)


def test_dispomed_workbook_named_xls_is_read_as_xlsx() -> None:
    detection, table = load(DISPOMED_XLS)
    assert detection.format == "xlsx"
    assert detection.sheets == [
        "data_short",
        "dash_short",
        "tbl_produits",
        "tbl_ATC",
        "pivot",
    ]
    assert detection.sheet == "data_short" and detection.header_row == 0
    assert table.columns[:3] == ["Date_rapport", "Statut", "Mise à jour"]
    assert table.frame.shape == (7005, 8)
    assert table.row_numbers[0] == 2
    row = table.frame.iloc[0]
    assert row["Date_rapport"] == "2024-02-04"  # a date cell, written ISO
    # NORM_Spécialité and LOOKUP_classe_ATC are formulas: their cached values.
    assert row["NORM_Spécialité"].startswith("ABACAVIR, Lamivudine, Zidovudine")
    assert row["LOOKUP_classe_ATC"] == "Anti-infectieux à usage systémique"
    assert_all_str(table.frame)


def test_dispomed_workbook_other_sheets() -> None:
    detection, table = load(DISPOMED_XLS, sheet="tbl_ATC")
    assert detection.sheet == "tbl_ATC"
    assert table.columns[-2:] == ["Colonne 10", "Colonne 11"]  # blank header cells
    assert table.frame.iloc[0]["Niveau code"] == "1"  # 1.0 in the cell, no ".0"
    assert table.frame.iloc[0]["ATC_code"] == "A"
    _, dash = load(DISPOMED_XLS, sheet="dash_short")
    assert "0.0" not in set(dash.frame.iloc[:, 1])


def test_dispomed_workbook_unknown_sheet() -> None:
    with pytest.raises(ReadError) as info:
        sniff(DISPOMED_XLS, sheet="Feuil1")
    assert info.value.code == "NO_SHEET"
    assert info.value.params["sheet"] == "Feuil1"
    assert "tbl_ATC" in str(info.value.params["sheets"])


def test_bdpm_dispo_spec_latin1_tab_without_header() -> None:
    detection, table = load(DISPO_SPEC)
    assert (detection.format, detection.encoding) == ("csv", "latin-1")
    assert (detection.delimiter, detection.header_row) == ("\t", None)
    assert table.frame.shape == (766, 8)
    assert table.columns == [f"Colonne {n}" for n in range(1, 9)]
    assert table.row_numbers[0] == 1 and table.row_numbers[-1] == 766
    first = table.frame.iloc[0].tolist()
    assert first[:5] == ["61436304", "", "1", "Rupture de stock", "14/04/2026"]
    assert not first[7].endswith("\r")
    cip13 = table.frame["Colonne 2"]
    assert (cip13 == "").sum() > 700 and not cip13.isna().any()
    assert cip13[cip13 != ""].str.fullmatch(r"34009\d{8}").all()
    assert "Remise à disposition" in set(table.frame["Colonne 4"])
    assert_all_str(table.frame)


def test_ansm_json_2024_flattens_nested_objects() -> None:
    detection, table = load(ANSM_2024)
    assert detection.format == "json"
    assert len(table.frame) == 293
    assert "Linked Page Data / DCI" in table.columns
    assert table.frame.iloc[0]["Linked Page Data / DCI"] == "Scopolamine"
    assert table.frame.iloc[0]["Statut"] == "Tension d'approvisionnement"
    assert list(table.row_numbers[:3]) == [1, 2, 3]
    assert_all_str(table.frame)


def test_ansm_json_2021() -> None:
    _, table = load(ANSM_2021)
    assert table.frame.shape == (202, 4)
    assert table.columns == [
        "Statut",
        "Mise à jour",
        "Spécialité",
        "Remise à disposition",
    ]


def test_profile_of_real_files() -> None:
    _, table = load(DISPO_SPEC)
    kinds = {p.name: p.kind for p in profile_columns(table.frame)}
    assert kinds["Colonne 1"] == "code" and kinds["Colonne 2"] == "code"
    assert kinds["Colonne 3"] == "integer" and kinds["Colonne 5"] == "date"
    assert kinds["Colonne 4"] == "text"
    _, table = load(DISPOMED_CSV)
    kinds = {p.name: p.kind for p in profile_columns(table.frame)}
    assert kinds["atc_code"] == "code" and kinds["start_date"] == "date"


# Hand-made CSV -------------------------------------------------------------


def test_cp1252_semicolon(tmp_path: Path) -> None:
    data = "Code;Libellé;Prix\n00123;Café;3,5 €\n00456;Thé;12,0 €\n".encode("cp1252")
    assert b"\xe9" in data and b"\x80" in data
    detection, table = load(write(tmp_path, "prix.csv", data))
    assert (detection.encoding, detection.delimiter) == ("cp1252", ";")
    assert table.columns == ["Code", "Libellé", "Prix"]
    assert table.frame["Libellé"].tolist() == ["Café", "Thé"]
    assert table.frame["Prix"].tolist() == ["3,5 €", "12,0 €"]
    assert table.frame["Code"].tolist() == ["00123", "00456"]  # leading zeros kept


def test_latin1_without_windows_bytes(tmp_path: Path) -> None:
    path = write(tmp_path, "l.csv", "nom;ville\nélise;Nîmes\n".encode("latin-1"))
    detection, table = load(path)
    assert detection.encoding == "latin-1"
    assert table.frame.iloc[0].tolist() == ["élise", "Nîmes"]


def test_utf16_with_bom(tmp_path: Path) -> None:
    path = write(tmp_path, "u.csv", "cis\tnom\n123\tDoliprane\n".encode("utf-16"))
    detection, table = load(path)
    assert (detection.encoding, detection.delimiter) == ("utf-16", "\t")
    assert table.frame.to_dict("records") == [{"cis": "123", "nom": "Doliprane"}]


def test_utf8_multibyte_character_cut_by_the_sample(tmp_path: Path) -> None:
    # The 1 MB sample ends in the middle of "é": still UTF-8.
    line = "nom,note\n" + "a," + "x" * (1024 * 1024 - 12) + "é\n"
    data = (line + "b,c\n").encode()
    assert data[1024 * 1024 - 1] == 0xC3  # first byte of "é"
    detection = sniff(write(tmp_path, "cut.csv", data))
    assert detection.encoding == "utf-8"


def test_tab_with_header_and_quoted_multiline_cell(tmp_path: Path) -> None:
    data = 'cis\tcommentaire\n1\t"ligne 1\nligne 2"\n2\tsimple\n'
    detection, table = load(write(tmp_path, "t.tsv", data))
    assert (detection.delimiter, detection.header_row) == ("\t", 0)
    assert table.frame["commentaire"].tolist() == ["ligne 1\nligne 2", "simple"]


def test_title_line_above_header(tmp_path: Path) -> None:
    data = (
        "Liste des ruptures au 14/04/2026\n"
        "\n"
        "Code CIS;Nom;Statut\n"
        "61436304;Tenormine;Rupture\n"
        "\n"
        "68572748;Persantine;Tension\n"
    )
    detection, table = load(write(tmp_path, "titre.csv", data))
    assert (detection.delimiter, detection.header_row) == (";", 2)
    assert table.columns == ["Code CIS", "Nom", "Statut"]
    assert table.frame["Code CIS"].tolist() == ["61436304", "68572748"]
    assert list(table.row_numbers) == [4, 6]  # true line numbers, blank line skipped


def test_first_row_of_data_means_no_header(tmp_path: Path) -> None:
    path = write(tmp_path, "d.txt", "61436304\t\t1\tRupture de stock\t14/04/2026\n")
    detection, table = load(path)
    assert detection.header_row is None
    assert table.columns == [
        "Colonne 1",
        "Colonne 2",
        "Colonne 3",
        "Colonne 4",
        "Colonne 5",
    ]
    assert table.frame.iloc[0, 1] == ""


def test_web_addresses_are_data_not_header(tmp_path: Path) -> None:
    data = "CT-21584\thttps://www.has-sante.fr/jcms/p_3961577\nCT-1\thttps://x.fr/2\n"
    detection, table = load(write(tmp_path, "liens.txt", data))
    assert (detection.delimiter, detection.header_row) == ("\t", None)
    assert table.frame["Colonne 1"].tolist() == ["CT-21584", "CT-1"]


def test_ragged_rows_are_padded_or_widened(tmp_path: Path) -> None:
    data = "a,b,c\n1,2\n3,4,5,6,7\n8,9,10\n"
    _, table = load(write(tmp_path, "r.csv", data))
    assert table.columns == ["a", "b", "c", "Colonne 4", "Colonne 5"]
    assert table.frame.iloc[0].tolist() == ["1", "2", "", "", ""]
    assert table.frame.iloc[1].tolist() == ["3", "4", "5", "6", "7"]
    assert list(table.row_numbers) == [2, 3, 4]


def test_row_far_wider_than_the_sample(tmp_path: Path) -> None:
    # Beyond the 1 MB sample a row has more fields: the reader retries wider.
    filler = "".join(f"{n},x\n" for n in range(120_000))
    path = write(tmp_path, "w.csv", "a,b\n" + filler + "1,2,3,4\n")
    _, table = load(path)
    assert table.columns == ["a", "b", "Colonne 3", "Colonne 4"]
    assert table.frame.iloc[-1].tolist() == ["1", "2", "3", "4"]
    assert table.row_numbers[-1] == 120_002


def test_column_names_are_cleaned(tmp_path: Path) -> None:
    data = "\ufeff Code  CIS ,,nom,nom,Nom\u00a0 commercial\n1,2,3,4,5\n"
    _, table = load(write(tmp_path, "n.csv", data))
    assert table.columns == [
        "Code CIS",
        "Colonne 2",
        "nom",
        "nom (2)",
        "Nom commercial",
    ]


def test_single_column(tmp_path: Path) -> None:
    detection, table = load(write(tmp_path, "one.csv", "nom\nDoliprane\nEfferalgan\n"))
    assert (detection.delimiter, detection.header_row) == (",", 0)
    assert table.frame["nom"].tolist() == ["Doliprane", "Efferalgan"]


def test_semicolon_wins_over_decimal_commas(tmp_path: Path) -> None:
    data = "nom;dose;prix\nA, comprimé;1,5;2,30\nB;2,5;3\nC, gélule, boîte;3;4,10\n"
    detection, table = load(write(tmp_path, "fr.csv", data))
    assert detection.delimiter == ";"
    assert table.frame["nom"].tolist() == ["A, comprimé", "B", "C, gélule, boîte"]


def test_crlf_line_ends(tmp_path: Path) -> None:
    _, table = load(write(tmp_path, "crlf.csv", "a;b\r\n1;2\r\n\r\n3;4\r\n"))
    assert table.frame.to_dict("list") == {"a": ["1", "3"], "b": ["2", "4"]}
    assert list(table.row_numbers) == [2, 4]


def test_nrows_counts_data_rows_not_blank_lines(tmp_path: Path) -> None:
    data = "a,b\n" + "\n" * 20 + "".join(f"{n},{n}\n" for n in range(50))
    path = write(tmp_path, "blank.csv", data)
    table = read_table(path, sniff(path), nrows=5)
    assert table.frame["a"].tolist() == ["0", "1", "2", "3", "4"]
    assert list(table.row_numbers) == [22, 23, 24, 25, 26]
    assert len(read_table(path, sniff(path)).frame) == 50


# Overrides -----------------------------------------------------------------


def test_overrides_correct_the_detection(tmp_path: Path) -> None:
    path = write(tmp_path, "o.csv", "a|b;c\n1|2;3\n4|5;6\n")
    detection = sniff(path, overrides={"delimiter": "|", "header_row": None})
    assert (detection.delimiter, detection.header_row) == ("|", None)
    table = read_table(path, detection)
    assert table.frame.iloc[0].tolist() == ["a", "b;c"]
    assert list(table.row_numbers) == [1, 2, 3]


def test_wrong_encoding_fails_at_read_time_with_the_line(tmp_path: Path) -> None:
    data = "nom;ville\n" + "a;b\n" * 5 + "élise;Nîmes\n"
    path = write(tmp_path, "e.csv", data.encode("latin-1"))
    detection = sniff(path, overrides={"encoding": "utf-8"})
    with pytest.raises(ReadError) as info:
        read_table(path, detection)
    assert info.value.code == "ENCODING"
    assert info.value.params == {"encoding": "utf-8", "line": 7}


def test_encoding_error_line_beyond_the_first_block(tmp_path: Path) -> None:
    data = "a;b\n" + "1;2\n" * 300_000 + "é;3\n"  # about 1.2 MB of ASCII first
    path = write(tmp_path, "late.csv", data.encode("latin-1"))
    detection = sniff(path)
    assert detection.encoding == "utf-8"  # the sample is plain ASCII
    with pytest.raises(ReadError) as info:
        read_table(path, detection)
    assert info.value.params == {"encoding": "utf-8", "line": 300_002}


def test_invalid_overrides(tmp_path: Path) -> None:
    path = write(tmp_path, "o.csv", "a,b\n1,2\n")
    for overrides in (
        {"delimiter": ":"},
        {"encoding": "klingon"},
        {"header_row": -1},
        {"header_row": True},
        {"colour": "red"},
    ):
        with pytest.raises(ReadError) as info:
            sniff(path, overrides=overrides)
        assert info.value.code == "BAD_OVERRIDE", overrides
    assert sniff(path, overrides={"header_row": "0", "encoding": ""}).header_row == 0


def test_sheet_override(tmp_path: Path) -> None:
    path = workbook(tmp_path, {"A": [["x"], [1]], "B": [["y"], [2]]})
    assert sniff(path, overrides={"sheet": "B"}).sheet == "B"
    with pytest.raises(ReadError) as info:
        sniff(path, overrides={"sheet": "C"})
    assert (info.value.code, info.value.params["sheets"]) == ("NO_SHEET", ["A", "B"])


# Hand-made XLSX ------------------------------------------------------------


def test_xlsx_cells_become_strings(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["Rapport des ruptures"],
        [],
        ["Code", "Quantité", "Taux", "Date", "Horodatage", "Actif", "Vide"],
        [
            "00123",
            42,
            0.1,
            dt.date(2024, 1, 31),
            dt.datetime(2024, 1, 31, 10, 30),  # noqa: DTZ001 - Excel has no time zones
            True,
        ],
        [],
        ["N02BE01", 3.0, 2.5, dt.datetime(2024, 2, 1), None, False, None],  # noqa: DTZ001
    ]
    detection, table = load(workbook(tmp_path, {"Données": rows}))
    assert (detection.format, detection.sheet, detection.header_row) == (
        "xlsx",
        "Données",
        2,
    )
    assert table.frame.to_dict("records") == [
        {
            "Code": "00123",
            "Quantité": "42",
            "Taux": "0.1",
            "Date": "2024-01-31",
            "Horodatage": "2024-01-31 10:30:00",
            "Actif": "true",
            "Vide": "",
        },
        {
            "Code": "N02BE01",
            "Quantité": "3",
            "Taux": "2.5",
            "Date": "2024-02-01",
            "Horodatage": "",
            "Actif": "false",
            "Vide": "",
        },
    ]
    assert list(table.row_numbers) == [4, 6]  # sheet rows
    assert_all_str(table.frame)


def test_xlsx_first_sheet_with_data_is_chosen(tmp_path: Path) -> None:
    path = workbook(
        tmp_path, {"Notice": [], "Entête": [["a", "b"]], "Data": [["a"], ["1"]]}
    )
    detection = sniff(path)
    assert detection.sheet == "Data"
    assert detection.sheets == ["Notice", "Entête", "Data"]
    assert refused(path, sheet="Entête").code == "HEADER_ONLY"


def test_xlsx_nrows(tmp_path: Path) -> None:
    rows: list[list[object]] = [["n"]]
    rows += [[i] for i in range(10)]
    path = workbook(tmp_path, {"S": rows})
    table = read_table(path, sniff(path), nrows=3)
    assert table.frame["n"].tolist() == ["0", "1", "2"]
    assert list(table.row_numbers) == [2, 3, 4]


# JSON ----------------------------------------------------------------------


def test_json_values_and_wrapper_object(tmp_path: Path) -> None:
    records = [
        {"cis": "0123", "noms": ["A", "B"], "labo": {"nom": "X", "pays": "FR"}},
        {"cis": 61436304, "noms": [], "labo": None, "actif": True, "prix": 2.5},
        {},
    ]
    payload = {"meta": {"source": "ANSM"}, "data": records}
    detection, table = load(write(tmp_path, "w.json", json.dumps(payload)))
    assert detection.format == "json"
    assert table.columns == [
        "cis",
        "noms",
        "labo / nom",
        "labo / pays",
        "labo",
        "actif",
        "prix",
    ]
    assert table.frame.iloc[0].tolist() == ["0123", "A; B", "X", "FR", "", "", ""]
    assert table.frame.iloc[1].tolist() == ["61436304", "", "", "", "", "true", "2.5"]
    assert list(table.row_numbers) == [1, 2]  # the empty third object is skipped


@pytest.mark.parametrize(
    "content",
    [
        '{"a": 1}',
        "[1, 2]",
        '{"a": [{"x": 1}], "b": [{"y": 2}]}',
        "[{]",
        '[{"a": 1}, 2]',
    ],
)
def test_json_shape(tmp_path: Path, content: str) -> None:
    assert refused(write(tmp_path, "bad.json", content)).code == "JSON_SHAPE"


def test_json_without_records(tmp_path: Path) -> None:
    assert refused(write(tmp_path, "e.json", " [] ")).code == "NO_COLUMNS"
    assert refused(write(tmp_path, "f.json", "[{}, {}]")).code == "NO_COLUMNS"


# Refusals ------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"  \n\r\n\t", codecs.BOM_UTF8 + b"\n \n"])
def test_empty(tmp_path: Path, data: bytes) -> None:
    assert refused(write(tmp_path, "vide.csv", data)).code == "EMPTY"


def test_header_only(tmp_path: Path) -> None:
    assert (
        refused(write(tmp_path, "h.csv", "code;nom;statut\n\n\n")).code == "HEADER_ONLY"
    )
    path = workbook(tmp_path, {"S": [["code", "nom"]]})
    assert refused(path).code == "HEADER_ONLY"


def test_only_delimiters_has_no_column(tmp_path: Path) -> None:
    assert refused(write(tmp_path, "d.csv", ";;;\n;;;\n")).code == "NO_COLUMNS"


def test_too_large(tmp_path: Path) -> None:
    error = refused(write(tmp_path, "big.csv", "a,b\n1,2\n"), max_bytes=4)
    assert error.code == "TOO_LARGE"
    assert error.params == {"size": 8, "limit": 4}


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
        b"code;nom\n1;a\x00b\n",
        b"<html><body><table><tr><td>1</td></tr></table></body></html>",
    ],
)
def test_not_tabular_content_whatever_the_extension(
    tmp_path: Path, data: bytes
) -> None:
    assert refused(write(tmp_path, "fichier.csv", data)).code == "NOT_TABULAR"


def test_plain_zip_renamed_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "hello")
    assert refused(path).code == "NOT_TABULAR"


def test_corrupt_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "abime.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", "<not a workbook")
    assert refused(path).code == "XLSX_CORRUPT"
    truncated = write(tmp_path, "coupe.xlsx", b"PK\x03\x04" + b"\x00" * 40)
    assert refused(truncated).code == "XLSX_CORRUPT"


def test_zip_bomb(tmp_path: Path) -> None:
    path = tmp_path / "bombe.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (60 * 1024**2))
    assert path.stat().st_size < 1024**2
    error = refused(path, max_uncompressed=10 * 1024**2)
    assert error.code == "XLSX_BOMB"
    assert error.params["limit"] == 10 * 1024**2
    assert int(str(error.params["uncompressed"])) > 60 * 1024**2
    # Under the total limit, the compression ratio alone refuses it.
    assert refused(path).code == "XLSX_BOMB"


CFB = bytes.fromhex("d0cf11e0a1b11ae1") + b"\x3e\x00\x03\x00\xfe\xff" + b"\x00" * 498


def test_encrypted_office_file(tmp_path: Path) -> None:
    data = CFB + b"\x00" * 1024 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 64
    path = write(tmp_path, "protege.xlsx", data)
    assert refused(path).code == "PASSWORD_PROTECTED"


def test_encrypted_stream_name_across_read_blocks(tmp_path: Path) -> None:
    name = "EncryptedPackage".encode("utf-16-le")
    data = CFB + b"\x01" * (1024 * 1024 - len(CFB) - 10) + name + b"\x00" * 64
    assert refused(write(tmp_path, "protege.xlsx", data)).code == "PASSWORD_PROTECTED"


def test_legacy_xls(tmp_path: Path) -> None:
    data = CFB + b"\x00" * 1024 + "Workbook".encode("utf-16-le") + b"\x00" * 64
    assert refused(write(tmp_path, "ancien.xlsx", data)).code == "LEGACY_XLS"


def test_unclosed_quote(tmp_path: Path) -> None:
    error = refused(write(tmp_path, "q.csv", 'a,b\n1,"2\n3,4\n'))
    assert error.code == "CSV_MALFORMED"


# API details ---------------------------------------------------------------


def test_read_error_code_params_and_fallback_text() -> None:
    error = ReadError("ENCODING", encoding="utf-8", line=12)
    assert (error.code, error.params) == ("ENCODING", {"encoding": "utf-8", "line": 12})
    assert "line 12" in str(error)
    assert str(ReadError("SOMETHING_NEW")) == "SOMETHING_NEW"
    assert str(ReadError("TOO_LARGE")) == "TOO_LARGE"  # params missing: no crash


def test_detection_round_trip() -> None:
    detection = Detection("xlsx", header_row=None, sheet="S", sheets=["S", "T"])
    stored = json.loads(json.dumps(detection.as_dict()))
    assert Detection.from_dict(stored) == detection
    assert Detection.from_dict({"format": "csv"}) == Detection("csv")
    with pytest.raises(ValueError):
        Detection.from_dict({"format": "pdf"})


def test_profile_columns_kinds_and_samples() -> None:
    frame = pd.DataFrame(
        {
            "entier": ["1", "20", "300", "20", ""],
            "decimal": ["1,5", "2", "3.25", "-4", "5"],
            "date": ["14/04/2026", "2024-01-31", "2024-01-31 10:30", "01.02.2024", ""],
            "zeros": ["00123", "456", "789", "", ""],
            "atc": ["N02BE01", "J05AR04", "N02BE01", "L02BX03", "A01"],
            "texte": ["b", "a", "b", "a", "c"],
            "vide": ["", "", "", "", ""],
        },
        dtype="str",
    )
    profiles = {p.name: p for p in profile_columns(frame, samples=2)}
    assert {name: p.kind for name, p in profiles.items()} == {
        "entier": "integer",
        "decimal": "decimal",
        "date": "date",
        "zeros": "code",
        "atc": "code",
        "texte": "text",
        "vide": "empty",
    }
    entier = profiles["entier"]
    assert (entier.filled, entier.distinct, entier.samples) == (
        4,
        3,
        [("20", 2), ("1", 1)],
    )
    # Equal counts: the value seen first comes first.
    assert profiles["texte"].samples == [("b", 2), ("a", 2)]
    assert profiles["vide"].as_dict() == {
        "name": "vide",
        "kind": "empty",
        "filled": 0,
        "distinct": 0,
        "samples": [],
    }
    json.dumps([p.as_dict() for p in profiles.values()])
    assert isinstance(profiles["atc"], ColumnProfile)
