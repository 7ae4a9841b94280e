"""Readers for the files of the public French medicines database (BDPM).

Pure Python + pandas, no Django. Each file is TAB separated, has no header and no
quoting. The reader promises:

* the encoding is detected per file (UTF-8, then windows-1252, then ISO-8859-1),
  see :func:`detect_encoding`; byte 0x92 of windows-1252 files becomes U+2019;
* records are the pieces between LF bytes, after removing one trailing CR; a final
  piece without LF is a record; blank records (e.g. a lone CR) are skipped and
  reported in :attr:`BdpmTable.rejected`;
* surplus trailing fields that are empty are dropped (9-field CIS_COMPO snapshots);
  any other field-count mismatch rejects the line;
* every field is stripped of leading/trailing whitespace (including a stray CR);
  empty fields become ``pd.NA``; inside the columns listed in
  :attr:`FileSpec.label_columns` runs of spaces are collapsed to one space (other
  columns, e.g. HTML texts and URLs, keep their inner spaces);
* lines with an invalid code (CIS, CIP13 with EAN-13 key, CIP7), a missing key or an
  invalid date are rejected with a French reason; the frame only holds valid lines;
* the frame is string typed (``pd.StringDtype()``), indexed by the 1-based line
  number in the file (index name ``line_number``); converters for dates, prices,
  multi-valued fields and reimbursement rates are provided separately.

User-visible texts (French) are all in :data:`MESSAGES`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from referential_admin.codes import (
    CIP7_PATTERN,
    CIP13_PATTERN,
    CIS_PATTERN,
    valid_cip13_mask,
)

# --------------------------------------------------------------------------------------
# User-visible messages (French). Keep every end-user text here.
# --------------------------------------------------------------------------------------

MESSAGES: Final[dict[str, str]] = {
    "blank_line": "Ligne vide",
    "blank_line_cr": "Ligne vide (retour chariot isolé)",
    "field_count": "{expected} champs attendus, {found} trouvés",
    "missing_value": "Champ obligatoire « {column} » vide",
    "cis_missing": "Code CIS manquant",
    "cis_invalid": "Code CIS invalide « {value} » : 8 chiffres attendus",
    "cip13_missing": "Code CIP13 manquant",
    "cip13_format": "Code CIP13 invalide « {value} » : 13 chiffres attendus",
    "cip13_check_digit": (
        "Code CIP13 invalide « {value} » : clé de contrôle EAN-13 incorrecte"
    ),
    "cip7_invalid": "Code CIP7 invalide « {value} » : 7 chiffres attendus",
    "has_code_missing": "Code de dossier HAS manquant",
    "date_invalid": "Date invalide « {value} »",
    "reason_separator": " ; ",
    "unknown_file": "Fichier BDPM non reconnu : « {name} »",
    "duplicate_file": "Plusieurs fichiers pour « {name} » : {files}",
    "not_a_directory": "Dossier introuvable : « {path} »",
}

#: Canonical text of a reimbursement rate: digits immediately followed by "%".
RATE_CANONICAL_FORM: Final[str] = "65%"

#: dtype of every frame column: Arrow-backed strings, missing value ``pd.NA``.
STRING_DTYPE: Final = pd.StringDtype(storage="pyarrow")

_PRICE_PATTERN: Final[str] = r"(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(?:,[0-9]+)?"
_C1_BYTES: Final[re.Pattern[bytes]] = re.compile(rb"[\x80-\x9f]")
_UTF8_BOM: Final[bytes] = b"\xef\xbb\xbf"
_MISSING_KEY_MESSAGES: Final[dict[str, str]] = {
    "cis": "cis_missing",
    "cip13": "cip13_missing",
    "has_file_code": "has_code_missing",
}


# --------------------------------------------------------------------------------------
# File specifications
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileSpec:
    """Layout and validation rules of one BDPM file (columns in file order)."""

    name: str
    columns: tuple[str, ...]
    description: str = ""
    required_columns: tuple[str, ...] = ()
    cis_columns: tuple[str, ...] = ()
    cip13_columns: tuple[str, ...] = ()
    cip7_columns: tuple[str, ...] = ()
    date_columns: tuple[str, ...] = ()
    date_format: str = "%d/%m/%Y"
    price_columns: tuple[str, ...] = ()
    multi_value_columns: tuple[str, ...] = ()
    label_columns: tuple[str, ...] = ()
    optional: bool = False

    @property
    def column_count(self) -> int:
        """Number of documented columns."""
        return len(self.columns)

    @property
    def stem(self) -> str:
        """File name without ``.txt``, lower case (used for name matching)."""
        return self.name.lower().removesuffix(".txt")


_SPEC_LIST: Final[tuple[FileSpec, ...]] = (
    FileSpec(
        name="CIS_bdpm.txt",
        description="Spécialités",
        columns=(
            "cis",
            "name",
            "pharmaceutical_form",
            "routes",
            "authorisation_status",
            "authorisation_procedure",
            "marketing_status",
            "authorisation_date",
            "bdpm_status",
            "eu_number",
            "holders",
            "enhanced_monitoring",
        ),
        required_columns=("cis",),
        cis_columns=("cis",),
        date_columns=("authorisation_date",),
        multi_value_columns=("routes", "holders"),
        label_columns=("name", "pharmaceutical_form", "holders"),
    ),
    FileSpec(
        name="CIS_CIP_bdpm.txt",
        description="Présentations",
        columns=(
            "cis",
            "cip7",
            "label",
            "administrative_status",
            "marketing_status",
            "marketing_date",
            "cip13",
            "hospital_approval",
            "reimbursement_rates",
            "price",
            "price_with_fee",
            "dispensing_fee",
            "reimbursement_text",
        ),
        required_columns=("cis", "cip13"),
        cis_columns=("cis",),
        cip13_columns=("cip13",),
        cip7_columns=("cip7",),
        date_columns=("marketing_date",),
        price_columns=("price", "price_with_fee", "dispensing_fee"),
        multi_value_columns=("reimbursement_rates",),
        label_columns=("label",),
    ),
    FileSpec(
        name="CIS_COMPO_bdpm.txt",
        description="Compositions",
        columns=(
            "cis",
            "pharmaceutical_element",
            "substance_code",
            "substance_name",
            "dosage",
            "dosage_reference",
            "component_nature",
            "link_number",
        ),
        required_columns=("cis",),
        cis_columns=("cis",),
        label_columns=("pharmaceutical_element", "substance_name", "dosage_reference"),
    ),
    FileSpec(
        name="CIS_GENER_bdpm.txt",
        description="Groupes génériques",
        columns=("group_id", "group_label", "cis", "generic_type", "sort_order"),
        required_columns=("cis",),
        cis_columns=("cis",),
        label_columns=("group_label",),
    ),
    FileSpec(
        name="CIS_CPD_bdpm.txt",
        description="Conditions de prescription et de délivrance",
        columns=("cis", "condition"),
        required_columns=("cis",),
        cis_columns=("cis",),
        label_columns=("condition",),
    ),
    FileSpec(
        name="CIS_CIP_Dispo_Spec.txt",
        description="Disponibilité des spécialités (ruptures, tensions)",
        columns=(
            "cis",
            "cip13",
            "status_code",
            "status_label",
            "start_date",
            "update_date",
            "return_date",
            "ansm_url",
        ),
        required_columns=("cis",),
        cis_columns=("cis",),
        cip13_columns=("cip13",),
        date_columns=("start_date", "update_date", "return_date"),
        label_columns=("status_label",),
    ),
    FileSpec(
        name="CIS_MITM.txt",
        description="Médicaments d'intérêt thérapeutique majeur",
        columns=("cis", "atc_code", "name", "bdpm_url"),
        required_columns=("cis",),
        cis_columns=("cis",),
        label_columns=("name",),
    ),
    FileSpec(
        name="CIS_HAS_SMR_bdpm.txt",
        description="Avis SMR de la HAS",
        columns=(
            "cis",
            "has_file_code",
            "evaluation_reason",
            "opinion_date",
            "smr_value",
            "smr_label",
        ),
        required_columns=("cis",),
        cis_columns=("cis",),
        date_columns=("opinion_date",),
        date_format="%Y%m%d",
        optional=True,
    ),
    FileSpec(
        name="CIS_HAS_ASMR_bdpm.txt",
        description="Avis ASMR de la HAS",
        columns=(
            "cis",
            "has_file_code",
            "evaluation_reason",
            "opinion_date",
            "asmr_value",
            "asmr_label",
        ),
        required_columns=("cis",),
        cis_columns=("cis",),
        date_columns=("opinion_date",),
        date_format="%Y%m%d",
        optional=True,
    ),
    FileSpec(
        name="HAS_LiensPageCT_bdpm.txt",
        description="Liens vers les avis de la commission de la transparence",
        columns=("has_file_code", "ct_url"),
        required_columns=("has_file_code",),
        optional=True,
    ),
)

#: Specifications keyed by canonical file name.
SPECS: Final[dict[str, FileSpec]] = {spec.name: spec for spec in _SPEC_LIST}


def spec_for_filename(name: str | os.PathLike[str]) -> FileSpec | None:
    """Return the spec whose stem matches ``name`` (case-insensitive), else None.

    ``CIS_bdpm.txt``, ``cis_bdpm.TXT`` and ``CIS_bdpm_20260724.txt`` all match CIS_bdpm.
    """
    base = re.split(r"[\\/]", os.fspath(name))[-1].lower()
    stem = base[:-4] if base.endswith(".txt") else base
    best: FileSpec | None = None
    for spec in _SPEC_LIST:
        known = spec.stem
        matches = stem == known or (
            stem.startswith(known) and stem[len(known)] in "_-. "
        )
        if matches and (best is None or len(known) > len(best.stem)):
            best = spec
    return best


# --------------------------------------------------------------------------------------
# Column helpers (the code rules themselves are in ``referential_admin.codes``)
# --------------------------------------------------------------------------------------


def _as_string_series(series: pd.Series) -> pd.Series:
    """Return ``series`` as a pandas string Series (no copy if already one)."""
    if isinstance(series.dtype, pd.StringDtype) and series.dtype.na_value is pd.NA:
        return series
    return series.astype(STRING_DTYPE)


def _stripped_or_na(series: pd.Series) -> pd.Series:
    """String Series stripped of surrounding whitespace, empty -> NA."""
    strings = _as_string_series(series).str.strip()
    return strings.mask(strings == "")


def _fullmatch_mask(series: pd.Series, pattern: str) -> np.ndarray:
    """Boolean numpy array: value fully matches ``pattern`` (missing -> False)."""
    matched = _as_string_series(series).str.fullmatch(pattern)
    return matched.fillna(False).to_numpy(dtype=bool)


# --------------------------------------------------------------------------------------
# Typed converters (the frame itself stays string typed)
# --------------------------------------------------------------------------------------

_FORMAT_TOKENS: Final[dict[str, str]] = {
    "%d": "[0-9]{2}",
    "%m": "[0-9]{2}",
    "%Y": "[0-9]{4}",
}


def _format_regex(fmt: str) -> str:
    """Strict regex for a strptime format made of %d, %m, %Y and literals."""
    parts = re.split(r"(%[dmY])", fmt)
    return "".join(_FORMAT_TOKENS.get(part, re.escape(part)) for part in parts)


def parse_dates(
    series: pd.Series, fmt: str = "%d/%m/%Y"
) -> tuple[pd.Series, pd.Series]:
    """Parse strict dates (zero-padded ``fmt``) into datetime64; also return invalid.

    Missing or blank values give NaT and are not invalid; year 2924 parses
    (microsecond unit).
    """
    strings = _stripped_or_na(series)
    present = strings.notna().to_numpy(dtype=bool)
    shape_ok = _fullmatch_mask(strings, _format_regex(fmt))
    candidates = strings.where(pd.Series(shape_ok, index=series.index))
    parsed = pd.to_datetime(candidates, format=fmt, errors="coerce")
    parsed = parsed.astype("datetime64[us]")
    invalid = present & parsed.isna().to_numpy(dtype=bool)
    return parsed, pd.Series(invalid, index=series.index)


def implausible_date_mask(
    series: pd.Series,
    max_year: int = 2100,
    min_year: int = 1900,
    fmt: str = "%d/%m/%Y",
) -> pd.Series:
    """True where a (valid) date has a year above ``max_year`` or below ``min_year``.

    Accepts parsed datetimes or raw strings (parsed with ``fmt``); missing -> False.
    """
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        dates = series
    else:
        dates = parse_dates(series, fmt)[0]
    years = pd.Series(dates.dt.year, index=series.index)
    mask = ((years > max_year) | (years < min_year)).to_numpy(dtype=bool)
    return pd.Series(mask, index=series.index)


def parse_prices(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse French prices ("24,34", "1,234,56") to Decimal; also return invalid mask.

    Every comma but the last is a thousands separator, the last one is the decimal
    point; missing or blank -> None (not invalid); unparseable -> None, flagged.
    """
    strings = _stripped_or_na(series)
    present = strings.notna().to_numpy(dtype=bool)
    ok = _fullmatch_mask(strings, _PRICE_PATTERN)
    normalised = strings.str.replace(r",([0-9]+)$", r".\1", regex=True).str.replace(
        ",", "", regex=False
    )
    texts = normalised.to_numpy(dtype=object, na_value="")
    values = [
        Decimal(text) if good else None for text, good in zip(texts, ok, strict=True)
    ]
    return (
        pd.Series(values, index=series.index, dtype=object),
        pd.Series(present & ~ok, index=series.index),
    )


def split_multi(series: pd.Series, sep: str = ";") -> pd.Series:
    """Split a multi-valued column into lists of trimmed, non-empty values.

    Missing -> empty list.
    """
    texts = _as_string_series(series).to_numpy(dtype=object, na_value="")
    lists = [
        [part.strip() for part in text.split(sep) if part.strip()] for text in texts
    ]
    return pd.Series(lists, index=series.index, dtype=object)


def normalise_rate(value: str | None) -> str | None:
    """Canonical reimbursement rate text: "65 %" -> "65%", "30 % ; 65%" -> "30%;65%"."""
    if value is None:
        return None
    text = re.sub(r"\s*;\s*", ";", re.sub(r"\s+%", "%", value.strip()))
    return text or None


def normalise_rates(series: pd.Series) -> pd.Series:
    """Vectorised :func:`normalise_rate` over a string Series (empty -> NA)."""
    strings = _stripped_or_na(series)
    result = strings.str.replace(r"\s+%", "%", regex=True).str.replace(
        r"\s*;\s*", ";", regex=True
    )
    return result.mask(result == "")


# --------------------------------------------------------------------------------------
# Decoding
# --------------------------------------------------------------------------------------


def _decode(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """Decode ``data`` with the detected (or forced) encoding; return (text, name)."""
    if encoding is not None:
        text = data.decode(encoding)
        return text.removeprefix("\ufeff"), encoding
    body = data.removeprefix(_UTF8_BOM)
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if _C1_BYTES.search(data) is not None:
        try:
            return data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            pass
    return data.decode("latin-1"), "latin-1"


def detect_encoding(data: bytes) -> str:
    """Return "utf-8", "cp1252" or "latin-1" for ``data`` (see module docstring).

    UTF-8 (BOM allowed) if strictly decodable; else windows-1252 when a 0x80-0x9F
    byte is present and decodable; else ISO-8859-1.
    """
    return _decode(data)[1]


def decode_bdpm_bytes(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """Return ``(text, encoding)``: ``data`` decoded with the detected encoding."""
    return _decode(data, encoding)


# --------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RejectedLine:
    """A line of a file that was not loaded, with a French reason."""

    file: str
    line_number: int
    reason: str
    raw: str


@dataclass
class BdpmTable:
    """Result of reading one BDPM file.

    ``frame`` holds the valid lines (string dtype, NA for empty fields, index =
    1-based line number); ``records_read`` counts the non-blank records of the file.
    """

    frame: pd.DataFrame
    encoding: str
    rejected: list[RejectedLine]
    records_read: int
    spec: FileSpec
    file: str
    line_count: int = 0
    blank_lines: int = 0

    def rows(self) -> list[dict[str, str | int | None]]:
        """Valid lines as dicts (Python ``None`` for empty fields, plus line_number)."""
        plain = self.frame.astype(object).where(self.frame.notna(), None)
        plain.insert(0, "line_number", self.frame.index.to_numpy())
        result: list[dict[str, str | int | None]] = plain.to_dict("records")  # type: ignore[assignment]
        return result


Source = str | os.PathLike[str] | bytes | bytearray | memoryview | IO[bytes]


def _load(source: Source) -> tuple[bytes, str | None]:
    """Return the bytes of ``source`` and its file name when known."""
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source), None
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        return path.read_bytes(), path.name
    name = getattr(source, "name", None)
    data = source.read()
    return data, os.path.basename(name) if isinstance(name, str) else None


def _split_lines(text: str) -> pa.Array:
    """Arrow array of records: split on LF, final LF ends a record, one CR removed."""
    if not text:
        return pa.array([], type=pa.large_string())
    body = text.removesuffix("\n")
    lines = pc.list_flatten(pc.split_pattern(pa.array([body], pa.large_string()), "\n"))
    has_cr = pc.ends_with(lines, "\r")
    return pc.if_else(has_cr, pc.utf8_slice_codeunits(lines, 0, -1), lines)


def _to_numpy_bool(array: pa.Array) -> np.ndarray:
    """Arrow boolean array to a numpy bool array (null -> False)."""
    result: np.ndarray = pc.fill_null(array, False).to_numpy(zero_copy_only=False)
    return result.astype(bool)


def _clean_column(values: pa.Array, collapse_spaces: bool) -> pd.Series:
    """String Series of stripped values, empty -> NA, optional space collapsing."""
    values = pc.utf8_trim_whitespace(values)
    if collapse_spaces:
        values = pc.replace_substring_regex(values, pattern=" {2,}", replacement=" ")
    values = pc.if_else(pc.equal(values, ""), pa.scalar(None, values.type), values)
    return pd.Series(pd.arrays.ArrowStringArray(values), copy=False)


def read_bdpm_file(
    source: Source,
    spec: FileSpec | None = None,
    *,
    filename: str | None = None,
    encoding: str | None = None,
) -> BdpmTable:
    """Read one BDPM file (path, bytes or binary file object) into a BdpmTable.

    ``spec`` defaults to the one matching the file name; ``encoding`` forces a codec.
    """
    data, source_name = _load(source)
    if spec is None:
        spec = spec_for_filename(filename or source_name or "")
        if spec is None:
            raise ValueError(
                MESSAGES["unknown_file"].format(name=filename or source_name or "")
            )
    file_label = filename or source_name or spec.name
    text, detected = _decode(data, encoding)
    lines = _split_lines(text)
    expected = spec.column_count
    line_count = len(lines)
    reasons: dict[int, list[str]] = {}

    # Blank records (nothing but whitespace, TABs or a lone CR): skipped, reported.
    blank = _to_numpy_bool(pc.equal(pc.utf8_trim_whitespace(lines), ""))
    blank_index = np.flatnonzero(blank)
    blank_texts = lines.take(pa.array(blank_index, type=pa.int64())).to_pylist()
    for index, raw in zip(blank_index.tolist(), blank_texts, strict=True):
        key = "blank_line_cr" if "\r" in raw else "blank_line"
        reasons[index + 1] = [MESSAGES[key]]

    # Field counts; surplus trailing fields are tolerated when they are all empty.
    fields = pc.split_pattern(lines, "\t")
    counts = pc.list_value_length(fields).to_numpy(zero_copy_only=False)
    surplus = pc.list_slice(fields, expected)
    surplus_values = pc.list_flatten(surplus)
    surplus_filled = pc.not_equal(pc.utf8_trim_whitespace(surplus_values), "")
    parents = pc.list_parent_indices(surplus).to_numpy(zero_copy_only=False)
    filled_parents = parents[_to_numpy_bool(surplus_filled)]
    surplus_not_empty = np.bincount(filled_parents, minlength=line_count) > 0
    count_ok = (counts == expected) | ((counts > expected) & ~surplus_not_empty)
    wrong_count = ~count_ok & ~blank
    template = MESSAGES["field_count"]
    for index in np.flatnonzero(wrong_count).tolist():
        found = int(counts[index])
        reasons[index + 1] = [template.format(expected=expected, found=found)]

    # Valid-shaped records -> one string column per documented field.
    kept_index = np.flatnonzero(count_ok & ~blank)
    kept_fields = fields.take(pa.array(kept_index, type=pa.int64()))
    kept = pc.list_slice(kept_fields, 0, expected)
    flat = pc.list_flatten(kept)
    label_columns = set(spec.label_columns)
    frame = pd.DataFrame(
        {
            name: _clean_column(
                flat.take(pa.array(np.arange(position, len(flat), expected))),
                name in label_columns,
            )
            for position, name in enumerate(spec.columns)
        }
    )
    frame.index = pd.Index(kept_index + 1, name="line_number")

    bad = _validate(frame, spec, reasons)
    if bad.any():
        frame = frame[~bad]
    numbers = sorted(reasons)
    raw_texts = lines.take(pa.array(np.asarray(numbers, dtype=np.int64) - 1))
    separator = MESSAGES["reason_separator"]
    rejected = [
        RejectedLine(
            file=file_label,
            line_number=number,
            reason=separator.join(reasons[number]),
            raw=raw,
        )
        for number, raw in zip(numbers, raw_texts.to_pylist(), strict=True)
    ]
    return BdpmTable(
        frame=frame,
        encoding=detected,
        rejected=rejected,
        records_read=line_count - int(blank.sum()),
        spec=spec,
        file=file_label,
        line_count=line_count,
        blank_lines=int(blank.sum()),
    )


def _add_reasons(
    reasons: dict[int, list[str]],
    frame: pd.DataFrame,
    mask: np.ndarray,
    column: str,
    message_key: str,
) -> None:
    """Append one formatted message per flagged row (loop over flagged rows only)."""
    if not mask.any():
        return
    lines = frame.index.to_numpy()[mask]
    values = frame[column].to_numpy(dtype=object, na_value="")[mask]
    template = MESSAGES[message_key]
    for line, value in zip(lines.tolist(), values.tolist(), strict=True):
        reasons.setdefault(line, []).append(template.format(value=value, column=column))


def _validate(
    frame: pd.DataFrame, spec: FileSpec, reasons: dict[int, list[str]]
) -> np.ndarray:
    """Flag rows with missing keys, invalid codes or dates; record French reasons."""
    bad = np.zeros(len(frame), dtype=bool)

    def flag(mask: np.ndarray, column: str, key: str) -> None:
        nonlocal bad
        _add_reasons(reasons, frame, mask, column, key)
        bad |= mask

    present = {name: frame[name].notna().to_numpy(dtype=bool) for name in spec.columns}
    for column in spec.required_columns:
        key = _MISSING_KEY_MESSAGES.get(column, "missing_value")
        flag(~present[column], column, key)
    for column in spec.cis_columns:
        ok = _fullmatch_mask(frame[column], CIS_PATTERN)
        flag(present[column] & ~ok, column, "cis_invalid")
    for column in spec.cip13_columns:
        shape_ok = _fullmatch_mask(frame[column], CIP13_PATTERN)
        flag(present[column] & ~shape_ok, column, "cip13_format")
        key_ok = valid_cip13_mask(frame[column]).to_numpy(dtype=bool)
        flag(shape_ok & ~key_ok, column, "cip13_check_digit")
    for column in spec.cip7_columns:
        ok = _fullmatch_mask(frame[column], CIP7_PATTERN)
        flag(present[column] & ~ok, column, "cip7_invalid")
    for column in spec.date_columns:
        invalid = parse_dates(frame[column], spec.date_format)[1].to_numpy(dtype=bool)
        flag(invalid, column, "date_invalid")
    return bad


def read_bdpm_dir(
    directory: str | os.PathLike[str], *, include_optional: bool = True
) -> dict[str, BdpmTable]:
    """Read every known BDPM file present in ``directory`` (not recursive).

    Keys are canonical file names (``SPECS`` keys); two files for one spec raise.
    """
    root = Path(directory)
    if not root.is_dir():
        raise FileNotFoundError(MESSAGES["not_a_directory"].format(path=root))
    found: dict[str, list[Path]] = {}
    for path in sorted(root.iterdir()):
        spec = spec_for_filename(path.name) if path.is_file() else None
        if spec is None or (spec.optional and not include_optional):
            continue
        found.setdefault(spec.name, []).append(path)
    tables: dict[str, BdpmTable] = {}
    for name, paths in found.items():
        if len(paths) > 1:
            files = ", ".join(p.name for p in paths)
            raise ValueError(MESSAGES["duplicate_file"].format(name=name, files=files))
        tables[name] = read_bdpm_file(paths[0], SPECS[name])
    return tables
