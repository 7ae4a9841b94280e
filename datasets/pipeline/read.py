"""Read the raw extracts agents upload (CSV, XLSX, JSON) as tables of strings.

``sniff`` judges the format by the content, never by the extension, and guesses
the encoding, delimiter, header row and sheet; ``read_table`` then reads every
cell as a string so that codes keep their leading zeros; ``profile_columns``
describes each column. Failures raise ``ReadError`` with a stable code that the
web layer turns into a French message. No Django import here.

Row numbers point at the source: 1-based CSV line, sheet row or JSON object
position. After a quoted CSV cell spanning several lines they drift by the
extra lines, which is accepted to keep the reading vectorised.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import os
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TypedDict

import numpy as np
import numpy.typing as npt
import pandas as pd
from python_calamine import CalamineError, CalamineWorkbook

from referential_admin.text import text_types

SAMPLE_BYTES = 1024 * 1024
DELIMITERS = (",", ";", "\t", "|")
FORMATS = ("csv", "xlsx", "json")
_FIELDS = ("format", "encoding", "delimiter", "header_row", "sheet", "sheets")
# On equal scores, prefer the delimiters that rarely occur inside French text:
# commas are also decimal separators and appear in drug names.
_TIE_ORDER = ("\t", ";", "|", ",")
_HEADER_SCAN = 10  # non-empty rows examined to find the header
_DELIMITER_SCAN = 50  # non-blank records examined to choose the delimiter
_SAMPLE_ROWS = 1000  # records parsed in Python; pandas reads the rest
_XLSX_SNIFF_ROWS = 500
_RAGGED_RETRIES = 20
_CFB_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
_BINARY_MAGICS = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"\x1f\x8b", b"Rar!")
_BOMB_RATIO = 200
_BOMB_MEMBER = 50 * 1024**2
_CONTROL = re.compile(r"[\x01-\x08\x0e-\x1f]")
# A cell that is a value, not a column name: a date, a number (long codes
# included) or a web address.
_DATA_CELL = re.compile(
    r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{2}-\d{2}(?:[ T][\d:.]+)?"
    r"|[-+]?\d+(?:[.,]\d+)?|https?://\S*"
)
_DATE = (
    r"\d{1,2}/\d{1,2}/\d{4}|\d{1,2}-\d{1,2}-\d{4}|\d{1,2}\.\d{1,2}\.\d{4}"
    r"|\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
_CODE = r"0\d+|\d{7,}|[A-Za-z]+\d[A-Za-z0-9]*"
_LEADING_ZERO = r"0\d+"
_INTEGER = r"[-+]?\d+"
_NUMBER = r"[-+]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][-+]?\d+)?"

_MESSAGES = {
    "EMPTY": "The file is empty.",
    "TOO_LARGE": "The file weighs {size} bytes, more than the {limit} allowed.",
    "NOT_TABULAR": "The file is neither CSV, XLSX nor JSON.",
    "LEGACY_XLS": "Excel 97-2003 workbooks (.xls) are not accepted.",
    "PASSWORD_PROTECTED": "The workbook is password-protected.",
    "XLSX_BOMB": "The workbook expands to {uncompressed} bytes (limit {limit}).",
    "XLSX_CORRUPT": "The workbook is damaged.",
    "NO_SHEET": "Sheet {sheet!r} not found; sheets: {sheets}.",
    "HEADER_ONLY": "The table has a header row but no data row.",
    "NO_COLUMNS": "The table has no column.",
    "JSON_SHAPE": "The JSON is not a list of objects.",
    "ENCODING": "The file cannot be decoded as {encoding} (line {line}).",
    "CSV_MALFORMED": "The CSV file is malformed: {detail}",
    "BAD_OVERRIDE": "Invalid reading option {key}: {value!r}.",
}


class ReadError(Exception):
    """A file that cannot be read as a table; ``code`` and ``params`` are stable."""

    code: str
    params: dict[str, object]

    def __init__(self, code: str, **params: object) -> None:
        self.code = code
        self.params = dict(params)
        try:
            message = _MESSAGES.get(code, code).format(**params)
        except (KeyError, IndexError, ValueError):
            message = code
        super().__init__(message)


@dataclass
class Detection:
    """How to read a file, as guessed by ``sniff`` or corrected by the user."""

    format: str
    encoding: str = "utf-8"
    delimiter: str = ","
    header_row: int | None = 0
    sheet: str = ""
    sheets: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """JSON-serialisable form, for storage alongside the upload."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Detection:
        """Rebuild a detection stored by ``as_dict``; raise ValueError if malformed."""
        detection = cls(**{k: v for k, v in data.items() if k in _FIELDS})  # type: ignore[arg-type]
        header = detection.header_row
        valid_header = header is None or (isinstance(header, int) and header >= 0)
        if detection.format not in FORMATS or not valid_header:
            raise ValueError(f"invalid detection: {dict(data)!r}")
        return detection


@dataclass
class Table:
    """A table of strings ("" for missing) with the source row of each data row."""

    frame: pd.DataFrame
    row_numbers: npt.NDArray[np.int64]
    columns: list[str]


@dataclass
class ColumnProfile:
    """What a column holds: its kind, fill rate and most frequent values."""

    name: str
    kind: str
    filled: int
    distinct: int
    samples: list[tuple[str, int]]

    def as_dict(self) -> dict[str, object]:
        """JSON-serialisable form (samples serialise as [value, count] pairs)."""
        return asdict(self)


class _Overrides(TypedDict, total=False):
    encoding: str
    delimiter: str
    header_row: int | None
    sheet: str


Rows = list[tuple[int, list[str]]]  # (0-based line or sheet row, cells)


def sniff(
    path: str | Path,
    *,
    max_bytes: int = 200 * 1024**2,
    max_uncompressed: int = 1024**3,
    sheet: str | None = None,
    overrides: Mapping[str, object] | None = None,
) -> Detection:
    """Detect format, encoding, delimiter, header row and sheet. Raises ReadError."""
    path = Path(path)
    opts = _check_overrides(overrides or {})
    size = os.path.getsize(path)
    if size > max_bytes:
        raise ReadError("TOO_LARGE", size=size, limit=max_bytes)
    if size == 0:
        raise ReadError("EMPTY")
    with path.open("rb") as handle:
        head = handle.read(SAMPLE_BYTES)
    if head.startswith(_CFB_MAGIC):
        # Encrypted .xlsx files are CFB containers holding this stream.
        encrypted = _file_contains(path, _ENCRYPTED)
        raise ReadError("PASSWORD_PROTECTED" if encrypted else "LEGACY_XLS")
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _sniff_xlsx(path, max_uncompressed, opts.get("sheet") or sheet, opts)
    return _sniff_text(path, head, size > len(head), opts)


def read_table(
    path: str | Path, detection: Detection, *, nrows: int | None = None
) -> Table:
    """Read the whole table (or its first nrows data rows) as strings.

    Raises ReadError. ``read_table`` trusts the zip checks already made by ``sniff``.
    """
    path = Path(path)
    if detection.format == "csv":
        table = _read_csv(path, detection, nrows)
    elif detection.format == "xlsx":
        table = _read_xlsx(path, detection, nrows)
    elif detection.format == "json":
        table = _read_json(path, detection, nrows)
    else:
        raise ValueError(f"unknown format {detection.format!r}")
    if not table.columns:
        raise ReadError("NO_COLUMNS")
    if len(table.frame) == 0 and nrows != 0:
        header = detection.header_row is not None and detection.format != "json"
        raise ReadError("HEADER_ONLY" if header else "NO_COLUMNS")
    return table


def profile_columns(frame: pd.DataFrame, *, samples: int = 20) -> list[ColumnProfile]:
    """Column kinds and frequent values of a string frame (vectorised).

    Patterns are tested on the distinct values only, weighted by their counts.
    """
    profiles = []
    for name in frame.columns:
        column = frame[name].fillna("").astype(str)
        values = column[column != ""]
        codes, uniques = pd.factorize(values)  # uniques in order of first appearance
        counts = np.bincount(codes, minlength=len(uniques))
        order = np.argsort(-counts, kind="stable")[:samples]
        distinct = pd.Series(np.asarray(uniques, dtype=object), dtype="str")
        profiles.append(
            ColumnProfile(
                name=str(name),
                kind=_column_kind(distinct, counts),
                filled=len(values),
                distinct=len(distinct),
                samples=[(str(distinct.iat[i]), int(counts[i])) for i in order],
            )
        )
    return profiles


def _column_kind(distinct: pd.Series[str], counts: npt.NDArray[np.int64]) -> str:
    total = int(counts.sum())
    if total == 0:
        return "empty"

    def share(pattern: str) -> float:
        matched = distinct.str.fullmatch(pattern).to_numpy(dtype=bool)
        return float(counts[matched].sum()) / total

    if share(_CODE) >= 0.9:
        return "code"
    if share(_INTEGER) >= 0.9:
        # A single zero-padded value shows these are identifiers, not quantities.
        return "code" if share(_LEADING_ZERO) > 0 else "integer"
    if share(_NUMBER) >= 0.9:
        return "decimal"
    return "date" if share(_DATE) >= 0.9 else "text"


def _check_overrides(overrides: Mapping[str, object]) -> _Overrides:
    checked: _Overrides = {}
    for key, value in overrides.items():
        if key in ("encoding", "delimiter", "sheet") and value in (None, ""):
            continue  # an empty form field means "keep the detection"
        if key == "encoding" and isinstance(value, str):
            try:
                codecs.lookup(value)
            except LookupError:
                raise ReadError("BAD_OVERRIDE", key=key, value=value) from None
            checked["encoding"] = value
        elif key == "delimiter" and value in DELIMITERS:
            checked["delimiter"] = str(value)
        elif key == "header_row" and value is None:
            checked["header_row"] = None
        elif key == "header_row" and isinstance(value, int | str):
            if isinstance(value, bool) or not str(value).isdigit():
                raise ReadError("BAD_OVERRIDE", key=key, value=value)
            checked["header_row"] = int(value)
        elif key == "sheet" and isinstance(value, str):
            checked["sheet"] = value
        else:
            raise ReadError("BAD_OVERRIDE", key=key, value=value)
    return checked


def _file_contains(path: Path, needle: bytes) -> bool:
    tail = b""
    with path.open("rb") as handle:
        while block := handle.read(SAMPLE_BYTES):
            if needle in tail + block:
                return True
            tail = block[-(len(needle) - 1) :]  # the needle may straddle two blocks
    return False


def _detect_encoding(head: bytes, *, final: bool) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        # final=False tolerates a multibyte character cut by the end of the sample.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=final)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    if re.search(rb"[\x80-\x9f]", head):
        try:
            # cp1252 leaves 0x81, 0x8D, 0x8F, 0x90 and 0x9D undefined.
            head.decode("cp1252")
            return "cp1252"
        except UnicodeDecodeError:
            pass
    return "latin-1"


def _decode_sample(head: bytes, encoding: str, *, final: bool) -> str:
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    return str(decoder.decode(head, final=final))


def _decode_error_line(path: Path, encoding: str) -> int | None:
    """1-based line of the first byte that ``encoding`` cannot decode."""
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    with path.open("rb") as handle:
        while block := handle.read(SAMPLE_BYTES):
            try:
                line += decoder.decode(block).count("\n")
            except UnicodeDecodeError as exc:
                # exc.start also counts the few bytes pending from the previous
                # block; being off by a character never moves across a newline.
                before = block[: max(exc.start, 0)]
                return line + before.decode(encoding, errors="replace").count("\n")
    return None


def _sniff_text(
    path: Path, head: bytes, truncated: bool, opts: _Overrides
) -> Detection:
    encoding = opts.get("encoding") or _detect_encoding(head, final=not truncated)
    text = _decode_sample(head, encoding, final=not truncated)
    controls = len(_CONTROL.findall(text))
    if head.startswith(_BINARY_MAGICS) or "\x00" in text or controls > len(text) / 100:
        raise ReadError("NOT_TABULAR")
    body = text.replace("\ufeff", "").strip()
    if not body:
        raise ReadError("EMPTY")
    if body[0] == "<":  # HTML or XML saved as .xls/.csv by some exporters
        raise ReadError("NOT_TABULAR")
    if body[0] in "[{":
        if not any(_flatten(record) for record in _json_records(path, encoding)):
            raise ReadError("NO_COLUMNS")
        return Detection("json", encoding=encoding)
    if truncated:  # the last line of a cut sample is partial
        text = text[: text.rfind("\n") + 1] or text
    delimiter = opts.get("delimiter") or _detect_delimiter(text)
    records = _sample_rows(text, delimiter, _SAMPLE_ROWS)
    rows = [(i, cells) for i, cells in records if _filled(cells)]
    header = opts["header_row"] if "header_row" in opts else _detect_header(rows)
    _require_data(rows, header, complete=not truncated and len(records) < _SAMPLE_ROWS)
    return Detection("csv", encoding=encoding, delimiter=delimiter, header_row=header)


def _sample_rows(text: str, delimiter: str, limit: int | None = None) -> Rows:
    """Records of the sample but blank lines, with their 0-based physical line."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: Rows = []
    start = 0
    try:
        for cells in reader:
            if cells != [] and cells != [""]:  # not a blank line
                rows.append((start, cells))
                if limit is not None and len(rows) >= limit:
                    break
            start = reader.line_num  # physical lines, quoted newlines included
    except csv.Error:
        pass  # e.g. a huge field: sniffing keeps the rows read so far
    return rows


def _detect_delimiter(text: str) -> str:
    best, best_score = ",", (0.0, 0)
    for delimiter in _TIE_ORDER:
        counts = [len(c) - 1 for _, c in _sample_rows(text, delimiter, _DELIMITER_SCAN)]
        nonzero = [count for count in counts if count > 0]
        if not nonzero:
            continue
        mode = max(set(nonzero), key=lambda c: (nonzero.count(c), c))
        score = (counts.count(mode) / len(counts), mode)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _detect_header(rows: Rows) -> int | None:
    """Index of the header row, or None when the first substantial row is data."""
    scanned = [(i, [c.strip() for c in cells if c.strip()]) for i, cells in rows]
    scanned = scanned[:_HEADER_SCAN]
    if not scanned:
        return None
    widest = max(len(values) for _, values in scanned)
    for index, values in scanned:
        if widest > 1 and len(values) <= 1:
            continue  # a title line above a wider table
        if any(_DATA_CELL.fullmatch(value) for value in values):
            return None
        if 2 * len(values) >= widest:
            return index
    return scanned[0][0]


def _require_data(rows: Rows, header: int | None, *, complete: bool) -> None:
    if not rows:
        raise ReadError("NO_COLUMNS")
    if header is not None and complete and all(i <= header for i, _ in rows):
        raise ReadError("HEADER_ONLY")


def _read_csv(path: Path, det: Detection, nrows: int | None) -> Table:
    skip = det.header_row or 0
    extra = 0 if det.header_row is None else 1
    want = None if nrows is None else nrows + extra
    while True:
        raw = _parse_csv_arrow(path, det) if want is None and not skip else None
        if raw is None:
            raw = _parse_csv(path, det, skip, want)
        # Blank lines are kept by the parser so that positions stay line numbers
        # (a quoted cell spanning several lines shifts the following ones).
        lines = np.arange(1, len(raw) + 1, dtype=np.int64) + skip
        header = None
        if det.header_row is not None:
            header = [str(v) for v in raw.iloc[0].tolist()] if len(raw) else []
            raw, lines = raw.iloc[1:], lines[1:]
        table = _make_table(raw, header, lines, nrows)
        if want is None or nrows is None or len(table.frame) >= nrows:
            return table
        if len(raw) + extra < want:  # end of file reached
            return table
        want *= 2  # blank lines ate some of the requested rows


def _sample_width(path: Path, det: Detection) -> int:
    """Cells in the widest record of the file's first megabyte."""
    with path.open("rb") as handle:
        head = handle.read(SAMPLE_BYTES)
    sample = _decode_sample(head, det.encoding, final=False)
    records = _sample_rows(sample, det.delimiter, _SAMPLE_ROWS)
    return max((len(cells) for _, cells in records), default=1)


def _line_count(path: Path) -> int:
    """Physical lines of a file (a last line without a line break counts)."""
    count, last = 0, b""
    with path.open("rb") as handle:
        while block := handle.read(16 * 1024 * 1024):
            count += block.count(b"\n")
            last = block[-1:]
    return count + (1 if last not in (b"", b"\n") else 0)


def _parse_csv_arrow(path: Path, det: Detection) -> pd.DataFrame | None:
    """The whole file parsed by Arrow's multithreaded reader (several times
    faster than pandas' C engine), or None when that reader cannot give the
    same table: rows of different widths, blank lines or cells spanning several
    lines (row positions would no longer be line numbers), undecodable bytes.
    The caller then parses with pandas, which handles (or reports) all of them.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    width = _sample_width(path, det)
    encoding = det.encoding.lower().replace("_", "-")
    utf8 = encoding in ("utf-8", "utf8", "utf-8-sig", "ascii")
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                autogenerate_column_names=True,
                encoding="utf8" if utf8 else det.encoding,
                block_size=8 * 1024 * 1024,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=det.delimiter,
                quote_char='"',
                double_quote=True,
                newlines_in_values=False,
                ignore_empty_lines=True,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={f"f{i}": pa.string() for i in range(width)},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=True,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError, LookupError, ValueError):
        return None
    if table.num_rows != _line_count(path):
        return None
    # A column the sample did not see was typed by inference: not the same table.
    columns = list(table.columns)
    if any(not pa.types.is_string(c.type) for c in columns):
        return None
    frame: pd.DataFrame = pa.table(
        columns, names=[str(i) for i in range(len(columns))]
    ).to_pandas(types_mapper=text_types)
    return frame.set_axis(range(frame.shape[1]), axis=1)


def _parse_csv(
    path: Path, det: Detection, skip: int, nrows: int | None
) -> pd.DataFrame:
    width = _sample_width(path, det)
    for _ in range(_RAGGED_RETRIES):
        try:
            raw = pd.read_csv(
                path,
                sep=det.delimiter,
                header=None,
                names=list(range(width)),
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                skiprows=skip,
                skip_blank_lines=False,
                nrows=nrows,
                encoding=det.encoding,
                quotechar='"',
                engine="c",  # handles \r\n itself, so no trailing CR is left
            )
        except pd.errors.EmptyDataError:
            return pd.DataFrame(dtype=str)
        except pd.errors.ParserError as exc:
            # Rows longer than the widest sampled row: retry with their width.
            wider = re.search(r"saw (\d+)", str(exc))
            if wider is None or int(wider.group(1)) <= width:
                raise ReadError("CSV_MALFORMED", detail=str(exc)) from exc
            width = int(wider.group(1))
            continue
        except UnicodeDecodeError as exc:
            line = _decode_error_line(path, det.encoding)
            raise ReadError("ENCODING", encoding=det.encoding, line=line) from exc
        except LookupError as exc:
            raise ReadError("ENCODING", encoding=det.encoding, line=None) from exc
        if isinstance(raw.index, pd.RangeIndex):
            return raw
        width += 1  # pandas used a first row one field wider than names as index
    raise ReadError("CSV_MALFORMED", detail="too many rows of different widths")


def _make_table(
    data: pd.DataFrame,
    header: list[str] | None,
    lines: npt.NDArray[np.int64],
    nrows: int | None,
) -> Table:
    data = data.set_axis(range(data.shape[1]), axis=1)
    if data.shape[1]:
        keep = (data != "").any(axis=1).to_numpy(dtype=bool)
        if not keep.all():  # copying a million rows for nothing costs time
            data, lines = data.loc[keep], lines[keep]
    if nrows is not None:
        data, lines = data.iloc[:nrows], lines[:nrows]
    header = header or []
    width = max(data.shape[1], len(header))
    for position in range(data.shape[1], width):
        data[position] = ""  # a header wider than every data row
    names = _clean_names(header + [""] * (width - len(header)))
    frame = data.set_axis(names, axis=1).reset_index(drop=True)
    return Table(frame=frame, row_numbers=np.asarray(lines, np.int64), columns=names)


def _clean_names(raw: Sequence[str]) -> list[str]:
    names: list[str] = []
    for position, value in enumerate(raw, 1):
        name = " ".join(value.replace("\ufeff", "").split()) or f"Colonne {position}"
        candidate, copy = name, 1
        while candidate in names:
            copy += 1
            candidate = f"{name} ({copy})"
        names.append(candidate)
    return names


def _cell_text(value: object) -> str:
    """A spreadsheet or JSON value as the text a user would expect to see."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "; ".join(_cell_text(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _check_zip(path: Path, limit: int) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise ReadError("XLSX_CORRUPT") from exc
    if "xl/workbook.xml" not in {member.filename for member in members}:
        raise ReadError("NOT_TABULAR")  # a plain zip, an .ods, an .xlsb…
    total = sum(member.file_size for member in members)
    bomb = any(
        m.file_size > _BOMB_MEMBER and m.file_size > _BOMB_RATIO * m.compress_size
        for m in members
    )
    if total > limit or bomb:
        raise ReadError("XLSX_BOMB", uncompressed=total, limit=limit)


def _open_workbook(path: Path) -> CalamineWorkbook:
    # from_path picks the reader from the extension, and xlsx files often arrive
    # named .xls; reading from a buffer makes calamine look at the content.
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(path.read_bytes()))
    except CalamineError as exc:
        raise ReadError("XLSX_CORRUPT") from exc


def _sheet_values(
    workbook: CalamineWorkbook, name: str, nrows: int | None
) -> Sequence[Sequence[object]]:
    if name not in workbook.sheet_names:
        raise ReadError("NO_SHEET", sheet=name, sheets=list(workbook.sheet_names))
    try:
        sheet = workbook.get_sheet_by_name(name)
        # Without skipping the empty area, list positions are sheet rows - 1.
        return sheet.to_python(skip_empty_area=False, nrows=nrows)
    except CalamineError as exc:
        raise ReadError("XLSX_CORRUPT") from exc


def _filled(row: Sequence[object]) -> bool:
    return any(v is not None and (not isinstance(v, str) or v.strip()) for v in row)


def _sniff_xlsx(
    path: Path, max_uncompressed: int, sheet: str | None, opts: _Overrides
) -> Detection:
    _check_zip(path, max_uncompressed)
    workbook = _open_workbook(path)
    names = list(workbook.sheet_names)
    if sheet and sheet not in names:
        raise ReadError("NO_SHEET", sheet=sheet, sheets=names)
    errors: list[ReadError] = []
    for name in [sheet] if sheet else names:
        values = _sheet_values(workbook, name, _XLSX_SNIFF_ROWS)
        rows = [
            (i, [_cell_text(v) for v in row])
            for i, row in enumerate(values)
            if _filled(row)
        ]
        header = opts["header_row"] if "header_row" in opts else _detect_header(rows)
        try:
            _require_data(rows, header, complete=len(values) < _XLSX_SNIFF_ROWS)
        except ReadError as exc:
            errors.append(exc)
            continue
        return Detection("xlsx", header_row=header, sheet=name, sheets=names)
    # No sheet has data rows: a header-only sheet explains more than empty ones.
    headers_only = [exc for exc in errors if exc.code == "HEADER_ONLY"]
    raise (headers_only or errors or [ReadError("NO_COLUMNS")])[0]


def _read_xlsx(path: Path, det: Detection, nrows: int | None) -> Table:
    workbook = _open_workbook(path)
    name = det.sheet or next(iter(workbook.sheet_names), "")
    values = _sheet_values(workbook, name, None)
    start, header = det.header_row or 0, None
    if det.header_row is not None:
        header = [_cell_text(v) for v in values[start]] if start < len(values) else []
        start += 1
    # Convert only the rows kept: cell conversion is the slow, per-cell part.
    kept = [i for i in range(start, len(values)) if _filled(values[i])]
    kept = kept if nrows is None else kept[:nrows]
    data = pd.DataFrame([[_cell_text(v) for v in values[i]] for i in kept], dtype="str")
    lines = np.asarray(kept, dtype=np.int64) + 1
    return _make_table(data.fillna(""), header, lines, nrows)


def _json_records(path: Path, encoding: str) -> list[dict[str, object]]:
    raw = path.read_bytes()
    try:
        text = raw.decode(encoding).lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        line = _decode_error_line(path, encoding)
        raise ReadError("ENCODING", encoding=encoding, line=line) from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReadError("JSON_SHAPE", line=exc.lineno) from exc
    if isinstance(data, dict):
        # {"data": [...], "meta": {...}}: the only list of objects is the table.
        tables = [v for v in data.values() if _is_records(v)]
        if len(tables) != 1:
            raise ReadError("JSON_SHAPE")
        data = tables[0]
    if not _is_records(data):
        raise ReadError("JSON_SHAPE")
    return list(data)


def _is_records(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


def _flatten(record: Mapping[str, object], prefix: str = "") -> dict[str, str]:
    """Nested objects become "parent / child" columns, like pd.json_normalize."""
    flat: dict[str, str] = {}
    for key, value in record.items():
        if isinstance(value, dict):  # an empty object adds no column, as there
            flat.update(_flatten(value, f"{prefix}{key} / "))
        else:
            flat[f"{prefix}{key}"] = _cell_text(value)
    return flat


def _read_json(path: Path, det: Detection, nrows: int | None) -> Table:
    records = _json_records(path, det.encoding)
    records = records if nrows is None else records[:nrows]
    # Built by hand rather than by json_normalize, which widens integer columns
    # with gaps to floats (and long codes would lose digits).
    data = pd.DataFrame([_flatten(record) for record in records], dtype="str")
    header = [str(name) for name in data.columns]
    lines = np.arange(1, len(records) + 1, dtype=np.int64)
    return _make_table(data.fillna(""), header, lines, nrows)
