"""The cleaning chain on a mapped frame: normalise, validate, match, deduplicate.

Every step is vectorised (pandas on whole columns, costly work done once per
distinct value). Problems come back as an issues frame with stable rule codes;
French messages are written by the Django side from those codes.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from datasets.pipeline.arrowtext import (
    Distinct,
    collapse_spaces,
    is_blank,
    per_distinct,
)
from datasets.pipeline.mapping import MappingSpec, fold_values, vocabulary_lookup
from datasets.pipeline.schema import (
    BLOCKING,
    WARNING,
    FamilySchema,
    FieldSpec,
    SubstanceLink,
)
from referential_admin.codes import (
    CIP7_PATTERN,
    CIP13_PATTERN,
    CIS_PATTERN,
    cip7_to_cip13_series,
    ean13_valid,
)
from referential_admin.text import TEXT, fold_series, to_arrow, to_series

ISSUE_COLUMNS = ["position", "field", "value", "code", "severity", "detail"]

#: Date formats tried, in order, when the mapping names none.
AUTO_DATE_FORMATS = (
    "%Y-%m-%d",
    "%d/%m/%Y",
    "%Y-%m-%d %H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%Y%m%d",
    "%d/%m/%y",
    "%Y-%m-%dT%H:%M:%S",
)
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_ATC = re.compile(r"^[A-Z](\d{2}([A-Z]([A-Z](\d{2})?)?)?)?$")

#: Matching service: (labels, codes) of distinct pairs → frame with columns cis,
#: method, score, auto_accepted (one row per pair, same order).
Matcher = Callable[[list[str | None], list[str | None]], pd.DataFrame]

#: Match methods as the quality report groups them.
MATCH_CATEGORIES = {
    "code": "exact",
    "exact": "exact",
    "alias": "alias",
    "manual": "alias",
    "fuzzy": "fuzzy",
    "ambiguous": "ambiguous",
    "review": "ambiguous",
    "unmatched": "unmatched",
    "excluded": "excluded",
}


@dataclass
class CleanResult:
    """Typed records kept, every issue found, and the counts of the run."""

    records: pd.DataFrame
    issues: pd.DataFrame
    rows_read: int
    rejected_positions: np.ndarray
    matches: dict[str, int] = field(default_factory=dict)
    #: Records kept, when ``records`` was streamed elsewhere and left empty.
    kept: int | None = None

    @property
    def rows_loaded(self) -> int:
        return len(self.records) if self.kept is None else self.kept

    @property
    def rows_rejected(self) -> int:
        return self.rows_read - self.rows_loaded

    def issue_counts(self) -> dict[str, int]:
        if self.issues.empty:
            return {}
        counts = self.issues["code"].value_counts()
        return {str(k): int(v) for k, v in counts.items()}


class _Issues:
    """Collects issue frames; built from masks, never row by row."""

    def __init__(self) -> None:
        self.parts: list[pd.DataFrame] = []

    def add(
        self,
        mask: np.ndarray | pd.Series,
        field_name: str,
        values: pd.Series | None,
        code: str,
        severity: str,
        detail: str | np.ndarray = "",
        show: Callable[[pd.Series], pd.Series] | None = None,
    ) -> None:
        """``detail`` is one text for every row, or an array over all rows;
        ``show`` formats the values of the rows reported (only those)."""
        positions = np.flatnonzero(np.asarray(mask, dtype=bool))
        if not len(positions):
            return
        if isinstance(detail, np.ndarray):
            detail = detail[positions].astype(str)
        if values is None:
            shown: Any = ""
        else:
            subset = values.iloc[positions]
            text = show(subset) if show is not None else subset.astype(str)
            shown = text.str.slice(0, 500).to_numpy()
        self.parts.append(
            pd.DataFrame(
                {
                    "position": positions.astype(np.int64),
                    "field": field_name,
                    "value": shown,
                    "code": code,
                    "severity": severity,
                    "detail": detail,
                }
            )
        )

    def at(
        self,
        positions: np.ndarray,
        code: str,
        severity: str,
        detail: str | np.ndarray = "",
        *,
        field: str = "",
        value: str | np.ndarray = "",
    ) -> None:
        """Issues at the given positions (whole rows unless ``field`` is given);
        ``detail`` and ``value`` are one text, or one per position."""
        self.parts.append(
            pd.DataFrame(
                {
                    "position": positions.astype(np.int64),
                    "field": field,
                    "value": value,
                    "code": code,
                    "severity": severity,
                    "detail": detail,
                }
            )
        )

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in ISSUE_COLUMNS})
        return pd.concat(self.parts, ignore_index=True)


def _parse_distinct_dates(uniques: pd.Series, fmt: str = "") -> pd.Series:
    """Distinct texts → dates (NaT when unparsable): the given format, else the
    usual French and ISO formats and Excel serial numbers."""
    result = pd.Series(pd.NaT, index=uniques.index, dtype="datetime64[ns]")
    todo = (uniques != "").fillna(False).to_numpy(dtype=bool).copy()
    for candidate in (fmt,) if fmt else AUTO_DATE_FORMATS:
        if not todo.any():
            break
        parsed = pd.to_datetime(uniques[todo], format=candidate, errors="coerce")
        result[todo] = parsed
        todo &= result.isna().to_numpy(dtype=bool)
    if todo.any() and not fmt:
        serial = pd.to_numeric(
            uniques[todo].where(uniques[todo].str.fullmatch(r"\d{4,5}(\.0+)?"), None),
            errors="coerce",
        )
        serial = serial.where((serial >= 20000) & (serial <= 80000))
        result[todo] = _EXCEL_EPOCH + pd.to_timedelta(serial, unit="D")
    normalised: pd.Series = result.dt.normalize()
    return normalised


def parse_dates(values: pd.Series, fmt: str = "") -> pd.Series:
    """Dates from text: the given format, else the usual French and ISO formats
    and Excel serial numbers. Unparsable values become NaT. Each distinct text
    is parsed once."""
    return per_distinct(
        values.fillna("").astype(TEXT), lambda u: _parse_distinct_dates(u, fmt)
    )


def _clean_codes(uniques: pd.Series, kind: str) -> pd.Series:
    """Distinct raw codes → normalised code, or NaN when malformed."""
    text = uniques.astype("str")
    # Spreadsheets turn codes into numbers ("3400930000000.0"); people add
    # spaces, dots or dashes between digit groups.
    digits = text.str.replace(r"\.0+$", "", regex=True)
    digits = digits.str.replace(r"[\s.\-]", "", regex=True)
    if kind == "cis":
        return digits.where(digits.str.fullmatch(CIS_PATTERN))
    is7 = digits.str.fullmatch(CIP7_PATTERN).to_numpy(dtype=bool)
    if is7.any():
        digits = digits.copy()
        digits[is7] = cip7_to_cip13_series(digits[is7])
    ok = digits.str.fullmatch(CIP13_PATTERN).to_numpy(dtype=bool).copy()
    if ok.any():
        ok[ok] = ean13_valid(digits[ok])
    return digits.where(ok)


#: What one field's distinct texts gave: the typed value of each, and the
#: issues found, as (flag per distinct text, rule code, severity).
Typed = tuple[pd.Series, list[tuple[np.ndarray, str, str]]]


def _type_distinct(
    spec: FieldSpec, uniques: pd.Series, mapping: MappingSpec, today: date
) -> Typed:
    """The typed value of each distinct (space-collapsed) text of a field that
    is not free text, and the issues those values raise."""
    filled = (uniques != "").to_numpy(dtype=bool)
    flags: list[tuple[np.ndarray, str, str]] = []
    if spec.type == "date":
        parsed = _parse_distinct_dates(uniques, mapping.date_formats.get(spec.name, ""))
        flags.append(
            (filled & parsed.isna().to_numpy(), "INVALID_DATE", spec.invalid_severity)
        )
        out_of_range = (parsed < pd.Timestamp(spec.min_date)).to_numpy(dtype=bool)
        if spec.max_future_days is not None:
            high = pd.Timestamp(today + timedelta(days=spec.max_future_days))
            out_of_range = out_of_range | (parsed > high).to_numpy(dtype=bool)
        flags.append((out_of_range, "DATE_OUT_OF_RANGE", BLOCKING))
        return parsed.where(~out_of_range), flags
    if spec.type == "integer":
        cleaned = uniques.str.replace(r"[\s\u202f]", "", regex=True)
        numbers = pd.to_numeric(
            cleaned.where(cleaned.str.fullmatch(r"[-+]?\d+(\.0+)?"), None),
            errors="coerce",
        )
        flags.append(
            (
                filled & numbers.isna().to_numpy(),
                "INVALID_INTEGER",
                spec.invalid_severity,
            )
        )
        out = numbers.round().astype("Int64")
        out_of_range = np.zeros(len(out), dtype=bool)
        if spec.min_value is not None:
            out_of_range |= (out < spec.min_value).fillna(False).to_numpy(dtype=bool)
        if spec.max_value is not None:
            out_of_range |= (out > spec.max_value).fillna(False).to_numpy(dtype=bool)
        flags.append((out_of_range, "OUT_OF_RANGE", BLOCKING))
        return out.where(~out_of_range), flags
    if spec.type == "vocabulary":
        lookup = vocabulary_lookup(spec, mapping.value_maps.get(spec.name))
        codes = fold_values(uniques).map(lookup).astype(TEXT)
        flags.append(
            (filled & codes.isna().to_numpy(), "UNKNOWN_VALUE", spec.invalid_severity)
        )
        return codes, flags
    if spec.type in ("cis", "cip13"):
        cleaned = _clean_codes(uniques, spec.type)
        code = "INVALID_CIS" if spec.type == "cis" else "INVALID_CIP13"
        flags.append((filled & cleaned.isna().to_numpy(), code, spec.invalid_severity))
        return cleaned, flags
    if spec.type == "atc":
        upper = uniques.str.upper().str.replace(" ", "", regex=False)
        ok = upper.str.match(_ATC).fillna(False).to_numpy(dtype=bool)
        flags.append((filled & ~ok, "INVALID_ATC", spec.invalid_severity))
        return upper.where(ok & filled), flags
    if spec.type == "url":
        ok = uniques.str.match(r"^https?://\S+$").fillna(False).to_numpy(dtype=bool)
        flags.append((filled & ~ok, "INVALID_URL", WARNING))
        return uniques.where(ok & filled), flags
    raise ValueError(f"unknown field type {spec.type!r}")


@dataclass
class _Known:
    """Distinct texts of one field typed so far, position by position."""

    texts: pa.Array
    values: pd.Series
    rules: list[tuple[str, str]]
    flags: np.ndarray  # one column per rule


class TypedMemo:
    """The typed values and issues of the distinct texts met so far, per field,
    over the slices of one extract cleaned with the same mapping and day: each
    distinct date, code or vocabulary text is typed once, not once per slice.
    Slices may be cleaned from several threads at once."""

    def __init__(self) -> None:
        self._known: dict[str, _Known] = {}
        self._lock = threading.Lock()

    def _learn(self, name: str, new: pd.Series, typed: Typed) -> _Known:
        values, flags = typed
        rules = [(code, severity) for _flag, code, severity in flags]
        matrix = np.zeros((len(new), len(flags)), dtype=bool)
        for j, (flag, _code, _severity) in enumerate(flags):
            matrix[:, j] = flag
        known = self._known.get(name)
        if known is not None:
            values = pd.concat([known.values, values], ignore_index=True)
            matrix = np.concatenate([known.flags, matrix])
        texts = to_arrow(new)
        learnt = _Known(
            texts=texts if known is None else pa.concat_arrays([known.texts, texts]),
            values=values.reset_index(drop=True),
            rules=rules,
            flags=matrix,
        )
        self._known[name] = learnt
        return learnt

    def typed(
        self, name: str, uniques: pd.Series, compute: Callable[[pd.Series], Typed]
    ) -> Typed:
        """``compute(uniques)``, taken from what earlier slices computed where
        they met the same texts."""
        texts = to_arrow(uniques)
        with self._lock:
            known = self._known.get(name)
            if known is None:
                known = self._learn(name, uniques, compute(uniques))
            where = pc.index_in(texts, value_set=known.texts)
            if where.null_count:
                new = where.is_null().to_numpy(zero_copy_only=False)
                known = self._learn(name, uniques[new], compute(uniques[new]))
                where = pc.index_in(texts, value_set=known.texts)
        positions = where.to_numpy(zero_copy_only=False).astype(np.int64)
        values = known.values.take(positions)
        values.index = uniques.index
        return values, [
            (known.flags[positions, j], code, severity)
            for j, (code, severity) in enumerate(known.rules)
        ]


def _blank_values(spec: FieldSpec, index: pd.Index) -> pd.Series:
    """What a field of only empty texts types to: missing values (and no issue:
    emptiness is the required rules' business)."""
    if spec.type == "date":
        return pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
    if spec.type == "integer":
        return pd.Series(pd.NA, index=index, dtype="Int64")
    return to_series(pa.nulls(len(index), pa.large_string()), index)


def _normalise_field(
    spec: FieldSpec,
    raw: pd.Series,
    mapping: MappingSpec,
    issues: _Issues,
    today: date,
    memo: TypedMemo | None = None,
) -> pd.Series:
    # Columns hold few distinct values: spaces are collapsed and every test runs
    # on those, and the results are spread back to the rows.
    if is_blank(raw):  # an unmapped field, or a column left empty
        return _blank_values(spec, raw.index)
    distinct = Distinct(raw)
    uniques = distinct.uniques = collapse_spaces(distinct.uniques)
    text = distinct.spread(uniques)
    if spec.type == "text":
        return _normalise_text(spec, text, issues)

    def compute(values: pd.Series) -> Typed:
        return _type_distinct(spec, values, mapping, today)

    if memo is None:
        typed, flags = compute(uniques)
    else:
        typed, flags = memo.typed(spec.name, uniques, compute)
    for bad, code, severity in flags:
        issues.add(distinct.rows(bad), spec.name, text, code, severity)
    return distinct.spread(typed)


def _normalise_text(spec: FieldSpec, text: pd.Series, issues: _Issues) -> pd.Series:
    """Free text: too long is a warning and is cut; empty is missing."""
    array = to_arrow(text)
    too_long = pc.greater(pc.utf8_length(array), spec.max_length)
    too_long_rows = too_long.to_numpy(zero_copy_only=False)
    issues.add(
        too_long_rows, spec.name, text, "TOO_LONG", WARNING, str(spec.max_length)
    )
    if too_long_rows.any():
        array = pc.utf8_slice_codeunits(array, 0, spec.max_length)
    empty = pc.equal(array, "")
    return to_series(pc.if_else(empty, pa.scalar(None, array.type), array), text.index)


def normalise(
    mapped: pd.DataFrame,
    schema: FamilySchema,
    mapping: MappingSpec,
    *,
    today: date | None = None,
    memo: TypedMemo | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Typed columns for every field, plus the issues found while typing them.
    ``memo`` keeps what earlier slices of the same extract typed."""
    issues = _Issues()
    day = today or date.today()  # noqa: DTZ011 - a calendar date, not an instant
    typed = {
        spec.name: _normalise_field(spec, mapped[spec.name], mapping, issues, day, memo)
        for spec in schema.fields
    }
    frame = pd.DataFrame(typed, index=mapped.index)
    if schema.derive is not None:
        frame = schema.derive(frame)
    return frame, issues.frame()


def _filled(series: pd.Series) -> np.ndarray:
    return series.notna().to_numpy(dtype=bool)


def validate(
    typed: pd.DataFrame, schema: FamilySchema, typing_issues: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Issues of the required fields and of the cross-field rules. A required
    value already refused while typing (``typing_issues``) is not reported twice."""
    issues = _Issues()
    refused = (
        typing_issues[typing_issues["severity"] == BLOCKING]
        if typing_issues is not None and len(typing_issues)
        else None
    )
    for spec in schema.fields:
        if spec.required:
            missing = ~_filled(typed[spec.name])
            if refused is not None:
                rows = refused.loc[refused["field"] == spec.name, "position"]
                missing[rows.to_numpy(dtype=np.int64)] = False
            issues.add(missing, spec.name, None, "REQUIRED", BLOCKING)
    for rule in schema.rules:
        if rule.kind == "any_of":
            present = np.zeros(len(typed), dtype=bool)
            for name in rule.fields:
                present |= _filled(typed[name])
            issues.add(~present, ",".join(rule.fields), None, rule.code, rule.severity)
        elif rule.kind == "order":
            first, second = (typed[name] for name in rule.fields)
            wrong = (first > second).fillna(False).to_numpy(dtype=bool)
            issues.add(
                wrong,
                rule.fields[1],
                second,
                rule.code,
                rule.severity,
                rule.fields[0],
                show=_french_dates if hasattr(second, "dt") else None,
            )
    return issues.frame()


def _french_dates(values: pd.Series) -> pd.Series:
    shown: pd.Series = values.dt.strftime("%d/%m/%Y")
    return shown


def medicine_key(typed: pd.DataFrame, schema: FamilySchema) -> pd.Series:
    """A stable name for the medicine of each row: first code given, else the
    folded label. Used in natural keys, before any matching."""
    link = schema.medicine
    if link is None:
        return to_series(pa.nulls(len(typed), pa.large_string()), typed.index)
    text = pa.large_string()
    codes = [to_arrow(typed[name]).cast(text) for name in link.code_fields]
    code = pc.coalesce(*codes) if codes else pa.nulls(len(typed), text)
    # Only the rows without any code are named by their label: fold those.
    nameless = code.is_null()
    if not nameless.true_count:
        return to_series(code, typed.index)
    labels = typed[link.label_field][nameless.to_numpy(zero_copy_only=False)]
    folded = to_arrow(fold_values(labels)).cast(text)
    folded = pc.if_else(pc.equal(folded, ""), pa.scalar(None, text), folded)
    return to_series(pc.replace_with_mask(code, nameless, folded), typed.index)


def _key_text(column: pd.Series) -> pa.Array:
    """A key part as Arrow text; dates are formatted once per distinct date."""
    if not pd.api.types.is_datetime64_any_dtype(column):
        return to_arrow(column).cast(pa.large_string())
    codes, uniques = pd.factorize(column)
    formatted = pa.array(
        pd.DatetimeIndex(uniques).strftime("%Y-%m-%d").tolist(), pa.large_string()
    )
    return pc.take(formatted, pa.array(codes, mask=codes < 0))


def record_keys(typed: pd.DataFrame, schema: FamilySchema) -> pd.Series:
    """Natural key per row: the first alternative whose fields are all filled,
    as ``field+field=value|value``."""
    candidates = []
    texts: dict[str, pa.Array] = {}
    for alternative in schema.natural_keys:
        for name in alternative:
            if name not in texts:
                texts[name] = _key_text(typed[name])
        # A part missing makes the whole candidate null: the next one applies.
        values = pc.binary_join_element_wise(
            *(texts[name] for name in alternative), pa.scalar("|", pa.large_string())
        )
        prefix = pa.scalar("+".join(alternative) + "=", pa.large_string())
        candidates.append(
            pc.binary_join_element_wise(
                prefix, values, pa.scalar("", pa.large_string())
            )
        )
    if not candidates:
        return to_series(pa.nulls(len(typed), pa.large_string()), typed.index)
    return to_series(pc.coalesce(*candidates), typed.index)


_NONE = "\x1e"  # stands for a missing code or label inside a pair's text


class MedicineMatcher:
    """Matches the medicines of frame after frame (the slices of one extract),
    giving the matcher each distinct (code, label) pair once over all frames.
    Only auto-accepted matches set the CIS. Frames may be matched from several
    threads at once."""

    def __init__(self, schema: FamilySchema, matcher: Matcher) -> None:
        if schema.medicine is None:
            raise ValueError("the family has no medicine to match")
        self.link = schema.medicine
        self.matcher = matcher
        # The pairs met so far (Arrow text) and their answers, position by
        # position; replaced, never changed in place, as pairs are learnt.
        self._texts = pa.array([], pa.large_string())
        self._cis = np.empty(0, dtype=object)
        self._method = np.empty(0, dtype=object)
        self._score = np.empty(0, dtype=np.float64)
        self._lock = threading.Lock()

    def _learn(self, texts: list[str]) -> None:
        codes: list[str | None] = []
        labels: list[str | None] = []
        for text in texts:
            code, label = text.split("\x1f")
            codes.append(None if code == _NONE else code)
            labels.append(None if label == _NONE else label)
        result = self.matcher(labels, codes)
        method = result["method"].astype(object).to_numpy()
        accepted = result["auto_accepted"].to_numpy(dtype=bool)
        # A guess a person must confirm is "review", whatever the method found it.
        method = np.where(
            (~accepted) & np.isin(method, ["fuzzy", "exact", "alias"]), "review", method
        )
        guesses = result["cis"].astype(object).to_numpy()
        cis = np.where(accepted, guesses, np.full(len(guesses), None, dtype=object))
        scores = result["score"].to_numpy(dtype=np.float64, copy=True)
        empty = np.array(
            [c is None and lb is None for c, lb in zip(codes, labels, strict=True)],
            dtype=bool,
        )
        cis[empty] = None
        method[empty] = ""
        scores[empty] = 0.0
        self._texts = pa.concat_arrays(
            [self._texts, pa.array(texts, pa.large_string())]
        )
        self._cis = np.concatenate([self._cis, cis])
        self._method = np.concatenate([self._method, method.astype(object)])
        self._score = np.concatenate([self._score, scores])

    def match(self, typed: pd.DataFrame) -> pd.DataFrame:
        """matched_cis, match_method and match_score of each row of ``typed``."""
        codes = [to_arrow(typed[name]) for name in self.link.code_fields]
        text = pa.large_string()
        code = pc.coalesce(*codes) if codes else pa.nulls(len(typed), text)
        label = to_arrow(typed[self.link.label_field])
        # Arrow strings throughout: a million Python strings would double the
        # memory. A pair is its code and label joined by a separator no text has.
        joined = pc.binary_join_element_wise(
            pc.fill_null(code.cast(text), _NONE),
            pc.fill_null(label.cast(text), _NONE),
            pa.scalar("\x1f", text),
        )
        encoded = pc.dictionary_encode(joined)
        pairs = encoded.indices.to_numpy(zero_copy_only=False)
        uniques = encoded.dictionary
        with self._lock:
            where = pc.index_in(uniques, value_set=self._texts)
            if where.null_count:
                self._learn(uniques.filter(where.is_null()).to_pylist())
                where = pc.index_in(uniques, value_set=self._texts)
            cis, method, score = self._cis, self._method, self._score
        rows = where.to_numpy(zero_copy_only=False).astype(np.int64)[pairs]
        return pd.DataFrame(
            {
                "matched_cis": cis[rows],
                "match_method": method[rows],
                "match_score": score[rows],
            },
            index=typed.index,
        )


def match_medicines(
    typed: pd.DataFrame, schema: FamilySchema, matcher: Matcher
) -> pd.DataFrame:
    """matched_cis, match_method and match_score per row, asking the matcher once per
    distinct (code, label) pair. Only auto-accepted matches set the CIS."""
    if schema.medicine is None:
        return pd.DataFrame(index=typed.index)
    return MedicineMatcher(schema, matcher).match(typed)


def match_counts(methods: pd.Series | Mapping[str, int]) -> dict[str, int]:
    """Rows per report category (exact, alias, fuzzy, ambiguous, unmatched,
    excluded), from the methods of the rows or a count per method."""
    counts = dict.fromkeys(("exact", "alias", "fuzzy", "ambiguous", "unmatched"), 0)
    counts["excluded"] = 0
    pairs = methods.value_counts() if isinstance(methods, pd.Series) else methods
    for method, number in pairs.items():
        category = MATCH_CATEGORIES.get(str(method))
        if category:
            counts[category] += int(number)
    return counts


def clean(
    mapped: pd.DataFrame,
    schema: FamilySchema,
    mapping: MappingSpec,
    *,
    matcher: Matcher | None = None,
    today: date | None = None,
    progress: Callable[[str], None] | None = None,
    offset: int = 0,
    deduplicate_rows: bool = True,
    memo: TypedMemo | None = None,
) -> CleanResult:
    """The whole chain on a mapped frame; rows with a blocking issue, excluded
    rows and duplicates are left out of ``records`` (and listed in ``issues``).

    ``records`` keeps the input positions (plus ``offset``, for a slice of a
    larger extract) in a ``position`` column. Without ``deduplicate_rows`` the
    caller runs ``deduplicate`` itself, over all the slices' records. ``memo``
    is shared by the slices of one extract (see ``TypedMemo``).
    """
    step = progress or (lambda _stage: None)
    n = len(mapped)
    mapped = mapped.reset_index(drop=True)
    step("normalise")
    typed, typing_issues = normalise(mapped, schema, mapping, today=today, memo=memo)
    step("validate")
    parts = [typing_issues, validate(typed, schema, typing_issues)]
    extra = _Issues()
    excluded = np.zeros(n, dtype=bool)
    for exclusion in schema.exclusions:
        mask = typed[exclusion.field].isin(exclusion.values).to_numpy(dtype=bool)
        extra.add(
            mask, exclusion.field, mapped[exclusion.field], exclusion.code, WARNING
        )
        excluded |= mask
    del mapped  # the raw strings are no longer needed: free them early

    typed["medicine_key"] = medicine_key(typed, schema)
    typed["record_key"] = record_keys(typed, schema)
    issues = pd.concat([*parts, extra.frame()], ignore_index=True)
    blocking = np.zeros(n, dtype=bool)
    blocking_rows = issues.loc[issues["severity"] == BLOCKING, "position"]
    blocking[blocking_rows.to_numpy(dtype=np.int64)] = True
    # A row already refused for another reason needs no second message.
    no_key = typed["record_key"].isna().to_numpy() & ~blocking
    if no_key.any():
        keyless = _Issues()
        keyless.add(no_key, "record_key", None, "NO_KEY", BLOCKING)
        issues = pd.concat([issues, keyless.frame()], ignore_index=True)
        blocking |= no_key
    keep = ~(blocking | excluded)
    issues["position"] = issues["position"].to_numpy(dtype=np.int64) + offset
    parts = [issues]
    rejected = [np.flatnonzero(~keep) + offset]

    records = typed[keep]
    del typed  # a million rows: keep one typed copy in memory, not two
    records["position"] = np.flatnonzero(keep) + offset
    if deduplicate_rows:
        step("deduplicate")
        dropped, duplicates = deduplicate(records, schema)
        parts.append(duplicates)
        if dropped.any():
            rejected.append(records["position"].to_numpy()[dropped])
            records = records[~dropped]
    counts: dict[str, int] = {}
    if schema.medicine is not None and matcher is not None and len(records):
        step("match")
        records = add_matches(records, schema, matcher)
        parts.append(match_issues(records, schema))
        counts = match_counts(records["match_method"])
    issues = pd.concat(parts, ignore_index=True)
    return CleanResult(
        records=records.reset_index(drop=True),
        issues=issues.sort_values(["position", "code"], kind="stable").reset_index(
            drop=True
        ),
        rows_read=n,
        rejected_positions=np.sort(np.concatenate(rejected)),
        matches=counts,
    )


def deduplicate(
    records: pd.DataFrame, schema: FamilySchema
) -> tuple[np.ndarray, pd.DataFrame]:
    """The records repeated by a later record (in ``position`` order): all
    values equal (DUPLICATE_ROW), else the same natural key (DUPLICATE_KEY). The
    issue's detail is the position of the record kept instead.

    Returns a mask over ``records`` of the ones to drop, and their issues.
    """
    dup = _Issues()
    dropped = np.zeros(len(records), dtype=bool)
    value_columns = [c for c in schema.field_names if c in records.columns]
    positions = records["position"].to_numpy(dtype=np.int64)
    # Only rows sharing a natural key can repeat each other: compare within
    # those few rows, not across the million.
    shared = np.flatnonzero(records["record_key"].duplicated(keep=False).to_numpy())
    for code, columns in (("DUPLICATE_ROW", value_columns), ("DUPLICATE_KEY", None)):
        rows = shared[~dropped[shared]]
        if not len(rows):
            break
        candidates = records.iloc[rows]
        subset = columns if columns is not None else ["record_key"]
        repeated = candidates.duplicated(subset=subset, keep="last").to_numpy()
        if not repeated.any():
            continue
        groups = candidates.groupby(subset, dropna=False, sort=False).ngroup()
        last = pd.Series(positions[rows]).groupby(groups.to_numpy()).transform("last")
        dup.at(
            positions[rows[repeated]],
            code,
            WARNING,
            last.to_numpy()[repeated].astype(str),
        )
        dropped[rows[repeated]] = True
    return dropped, dup.frame()


def add_matches(
    records: pd.DataFrame, schema: FamilySchema, matcher: Matcher
) -> pd.DataFrame:
    """The records with their matched_cis, match_method and match_score columns."""
    matched = match_medicines(records, schema, matcher)
    for column in matched.columns:
        records[column] = matched[column].to_numpy()
    return records


def match_issues(records: pd.DataFrame, schema: FamilySchema) -> pd.DataFrame:
    """A warning per record whose medicine waits for a person (unmatched, to
    review, ambiguous), at the record's ``position``, showing its label (or its
    code when it has none)."""
    issues = _Issues()
    link = schema.medicine
    if link is None or not len(records):
        return issues.frame()
    methods = records["match_method"]
    to_review = methods.isin(["unmatched", "review", "ambiguous"]).to_numpy()
    if not to_review.any():
        return issues.frame()
    # Only the few rows to review are turned into Python strings.
    few = records.loc[to_review]
    named = few[link.label_field].astype(object)
    for code_field in link.code_fields:
        named = named.where(named.notna(), few[code_field].astype(object))
    positions = few["position"].to_numpy(dtype=np.int64)
    shown = named.fillna("").astype(str).str.slice(0, 500).to_numpy()
    methods_found = few["match_method"].to_numpy()
    for method, code in (
        ("unmatched", "MEDICINE_UNMATCHED"),
        ("review", "MEDICINE_TO_REVIEW"),
        ("ambiguous", "MEDICINE_AMBIGUOUS"),
    ):
        chosen = methods_found == method
        if chosen.any():
            issues.at(
                positions[chosen], code, WARNING, field="medicine", value=shown[chosen]
            )
    return issues.frame()


class SubstanceMatcher:
    """Matches the substance names (and brand names) of frame after frame (the
    slices of one extract) to substance codes, with the family's cascade, once
    per distinct text over all frames. Frames may be matched from several
    threads at once."""

    def __init__(
        self,
        link: SubstanceLink,
        names: pd.DataFrame,
        brands: pd.DataFrame | None = None,
    ) -> None:
        self.link = link
        self.names = names
        self._known: dict[str, str | None] = {}
        self._brands: dict[str, str] = {}
        if brands is not None and len(brands):
            keyed = brands.assign(key=fold_series(brands["name"].astype(str)))
            self._brands = {
                str(key): "|".join(sorted(set(group["code"].astype(str))))
                for key, group in keyed.groupby("key")
            }
        self._lock = threading.Lock()

    def _substances(self, texts: list[Any]) -> dict[Any, str | None]:
        with self._lock:
            new = [t for t in texts if t not in self._known]
            if new:
                found = self.link.match(pd.Series(new, dtype=object), self.names)
                for text, code, _method in found.itertuples(index=False):
                    self._known[text] = None if pd.isna(code) else str(code)
            return {t: self._known[t] for t in texts}

    def match(self, records: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The records with their substance codes set, and a warning per record
        whose substance or brand name matched nothing (``SUBSTANCE_UNMATCHED``)."""
        issues = _Issues()
        codes = pd.Series(None, index=records.index, dtype=object)
        for field_name in (self.link.label_field, self.link.brand_field):
            if not field_name:
                continue
            texts = records[field_name].astype(object)
            named = (texts.notna() & texts.astype(str).str.strip().ne("")).to_numpy()
            if not named.any():
                continue
            if field_name == self.link.brand_field:
                keys = fold_series(texts.where(named, "").astype(str))
                found = keys.map(self._brands).where(named, None)
            else:
                known = self._substances(list(pd.unique(texts[named])))
                found = texts.map(known).where(named, None)
            codes = codes.where(codes.notna(), found.astype(object))
            unmatched = named & found.isna().to_numpy()
            if unmatched.any():
                issues.at(
                    records["position"].to_numpy(dtype=np.int64)[unmatched],
                    "SUBSTANCE_UNMATCHED",
                    WARNING,
                    field=field_name,
                    value=texts[unmatched].astype(str).str.slice(0, 500).to_numpy(),
                )
        records[self.link.code_field] = codes.to_numpy()
        return records, issues.frame()
