"""The cleaning chain on a mapped frame: normalise, validate, match, deduplicate.

Every step is vectorised (pandas on whole columns, costly work done once per
distinct value). Problems come back as an issues frame with stable rule codes;
French messages are written by the Django side from those codes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from datasets.pipeline.mapping import MappingSpec, fold_values, vocabulary_lookup
from datasets.pipeline.schema import BLOCKING, WARNING, FamilySchema, FieldSpec

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

    @property
    def rows_loaded(self) -> int:
        return len(self.records)

    @property
    def rows_rejected(self) -> int:
        return self.rows_read - len(self.records)

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
    ) -> None:
        """``detail`` is one text for every row, or an array over all rows."""
        positions = np.flatnonzero(np.asarray(mask, dtype=bool))
        if not len(positions):
            return
        if isinstance(detail, np.ndarray):
            detail = detail[positions].astype(str)
        if values is None:
            shown: Any = ""
        else:
            shown = values.iloc[positions].astype(str).str.slice(0, 500).to_numpy()
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

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in ISSUE_COLUMNS})
        return pd.concat(self.parts, ignore_index=True)


def _strip(series: pd.Series) -> pd.Series:
    """Spaces, tabs, line breaks and non-breaking spaces collapsed, ends trimmed;
    computed once per distinct value."""

    def collapse(uniques: pd.Series) -> pd.Series:
        text = uniques.astype("str")
        return text.str.replace(r"\s+", " ", regex=True).str.strip()

    return _per_distinct(series.fillna("").astype("str"), collapse)


def _per_distinct(
    series: pd.Series, func: Callable[[pd.Series], pd.Series]
) -> pd.Series:
    """Apply ``func`` to the distinct values only and spread the result back,
    keeping the result's dtype (Arrow strings stay Arrow, no Python objects)."""
    codes, uniques = pd.factorize(series, use_na_sentinel=False)
    result = func(pd.Series(uniques, dtype=series.dtype))
    spread = result.take(codes)
    spread.index = series.index
    return spread


def parse_dates(values: pd.Series, fmt: str = "") -> pd.Series:
    """Dates from text: the given format, else the usual French and ISO formats
    and Excel serial numbers. Unparsable values become NaT."""

    def parse(uniques: pd.Series) -> pd.Series:
        result = pd.Series(pd.NaT, index=uniques.index, dtype="datetime64[ns]")
        todo = uniques != ""
        for candidate in (fmt,) if fmt else AUTO_DATE_FORMATS:
            if not todo.any():
                break
            parsed = pd.to_datetime(uniques[todo], format=candidate, errors="coerce")
            result[todo] = parsed
            todo &= result.isna()
        if todo.any() and not fmt:
            serial = pd.to_numeric(
                uniques[todo].where(
                    uniques[todo].str.fullmatch(r"\d{4,5}(\.0+)?"), None
                ),
                errors="coerce",
            )
            serial = serial.where((serial >= 20000) & (serial <= 80000))
            result[todo] = _EXCEL_EPOCH + pd.to_timedelta(serial, unit="D")
        normalised: pd.Series = result.dt.normalize()
        return normalised

    return _per_distinct(values.astype("str"), parse)


_EAN_WEIGHTS = np.array([1, 3] * 6, dtype=np.int64)


def _digit_matrix(codes: pd.Series, width: int) -> np.ndarray:
    """One row of digits per code; every code must be ``width`` ASCII digits."""
    joined = "".join(codes.astype(str).tolist()).encode("ascii")
    matrix = np.frombuffer(joined, dtype=np.uint8).reshape(-1, width)
    return matrix.astype(np.int64) - 48


def ean13_valid(codes: pd.Series) -> np.ndarray:
    """Whether 13-digit strings carry a correct EAN-13 check digit (vectorised)."""
    if not len(codes):
        return np.zeros(0, dtype=bool)
    digits = _digit_matrix(codes, 13)
    total = (digits[:, :12] * _EAN_WEIGHTS).sum(axis=1)
    return np.asarray((10 - total % 10) % 10 == digits[:, 12])


def cip7_to_cip13(codes: pd.Series) -> pd.Series:
    """CIP13 of 7-digit CIP codes: prefix 34009 and the EAN-13 check digit."""
    stems = "34009" + codes.astype("str")
    if not len(stems):
        return stems
    check = (10 - (_digit_matrix(stems, 12) * _EAN_WEIGHTS).sum(axis=1) % 10) % 10
    return stems + pd.Series(check.astype(str), index=codes.index, dtype="str")


def _clean_codes(uniques: pd.Series, kind: str) -> pd.Series:
    """Distinct raw codes → normalised code, or NaN when malformed."""
    text = uniques.astype("str")
    # Spreadsheets turn codes into numbers ("3400930000000.0"); people add
    # spaces, dots or dashes between digit groups.
    digits = text.str.replace(r"\.0+$", "", regex=True)
    digits = digits.str.replace(r"[\s.\-]", "", regex=True)
    if kind == "cis":
        return digits.where(digits.str.fullmatch(r"[0-9]{8}"))
    is7 = digits.str.fullmatch(r"[0-9]{7}").to_numpy(dtype=bool)
    if is7.any():
        digits = digits.copy()
        digits[is7] = cip7_to_cip13(digits[is7])
    ok = digits.str.fullmatch(r"[0-9]{13}").to_numpy(dtype=bool).copy()
    if ok.any():
        ok[ok] = ean13_valid(digits[ok])
    return digits.where(ok)


def _normalise_field(
    spec: FieldSpec,
    raw: pd.Series,
    mapping: MappingSpec,
    issues: _Issues,
    today: date,
) -> pd.Series:
    text = _strip(raw)
    filled = (text != "").to_numpy()
    if spec.type == "date":
        parsed = parse_dates(text, mapping.date_formats.get(spec.name, ""))
        bad = filled & parsed.isna().to_numpy()
        issues.add(bad, spec.name, text, "INVALID_DATE", spec.invalid_severity)
        low = pd.Timestamp(spec.min_date)
        out_of_range = (parsed < low).to_numpy(dtype=bool).copy()
        if spec.max_future_days is not None:
            high = pd.Timestamp(today + timedelta(days=spec.max_future_days))
            out_of_range |= (parsed > high).to_numpy(dtype=bool)
        issues.add(out_of_range, spec.name, text, "DATE_OUT_OF_RANGE", BLOCKING)
        return parsed.where(~out_of_range)
    if spec.type == "integer":
        cleaned = text.str.replace(r"[\s\u202f]", "", regex=True)
        numbers = pd.to_numeric(
            cleaned.where(cleaned.str.fullmatch(r"[-+]?\d+(\.0+)?"), None),
            errors="coerce",
        )
        bad = filled & numbers.isna().to_numpy()
        issues.add(bad, spec.name, text, "INVALID_INTEGER", spec.invalid_severity)
        out = numbers.round().astype("Int64")
        out_of_range = np.zeros(len(out), dtype=bool)
        if spec.min_value is not None:
            out_of_range |= (out < spec.min_value).fillna(False).to_numpy(dtype=bool)
        if spec.max_value is not None:
            out_of_range |= (out > spec.max_value).fillna(False).to_numpy(dtype=bool)
        issues.add(out_of_range, spec.name, text, "OUT_OF_RANGE", BLOCKING)
        return out.where(~out_of_range)
    if spec.type == "vocabulary":
        lookup = vocabulary_lookup(spec, mapping.value_maps.get(spec.name))
        folded = fold_values(text)
        codes = folded.map(lookup)
        bad = filled & codes.isna().to_numpy()
        issues.add(bad, spec.name, text, "UNKNOWN_VALUE", spec.invalid_severity)
        return codes.astype(object).where(codes.notna(), None)
    if spec.type in ("cis", "cip13"):
        cleaned = _per_distinct(text, lambda u: _clean_codes(u, spec.type))
        ok = cleaned.notna().to_numpy(dtype=bool)
        code = "INVALID_CIS" if spec.type == "cis" else "INVALID_CIP13"
        issues.add(filled & ~ok, spec.name, text, code, spec.invalid_severity)
        return cleaned
    if spec.type == "atc":
        upper = text.str.upper().str.replace(" ", "", regex=False)
        ok = upper.str.match(_ATC).to_numpy(dtype=bool)
        issues.add(filled & ~ok, spec.name, text, "INVALID_ATC", spec.invalid_severity)
        return upper.where(ok & filled)
    if spec.type == "url":
        ok = text.str.match(r"^https?://\S+$").to_numpy(dtype=bool)
        issues.add(filled & ~ok, spec.name, text, "INVALID_URL", WARNING)
        return text.where(ok & filled)
    too_long = (text.str.len() > spec.max_length).to_numpy(dtype=bool)
    issues.add(too_long, spec.name, text, "TOO_LONG", WARNING, str(spec.max_length))
    if too_long.any():
        text = text.str.slice(0, spec.max_length)
    return text.where(filled)


def normalise(
    mapped: pd.DataFrame,
    schema: FamilySchema,
    mapping: MappingSpec,
    *,
    today: date | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Typed columns for every field, plus the issues found while typing them."""
    issues = _Issues()
    day = today or date.today()  # noqa: DTZ011 - a calendar date, not an instant
    typed = {
        spec.name: _normalise_field(spec, mapped[spec.name], mapping, issues, day)
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
                second.dt.strftime("%d/%m/%Y") if hasattr(second, "dt") else second,
                rule.code,
                rule.severity,
                rule.fields[0],
            )
    return issues.frame()


def medicine_key(typed: pd.DataFrame, schema: FamilySchema) -> pd.Series:
    """A stable name for the medicine of each row: first code given, else the
    folded label. Used in natural keys, before any matching."""
    key = pd.Series(pd.NA, index=typed.index, dtype="str")
    link = schema.medicine
    if link is None:
        return key
    for name in link.code_fields:
        key = key.where(key.notna(), typed[name].astype("str"))
    missing = key.isna().to_numpy(dtype=bool)
    if missing.any():
        # Only the rows without a code need their label folded.
        labels = typed[link.label_field].astype("str")[missing].fillna("")
        folded = fold_values(labels).astype("str")
        key[missing] = folded.where(folded != "")
    return key


def _key_text(column: pd.Series) -> pd.Series:
    """A key part as text; dates are formatted once per distinct date."""
    if not pd.api.types.is_datetime64_any_dtype(column):
        return column.astype("str")
    codes, uniques = pd.factorize(column)
    if not len(uniques):
        return pd.Series(pd.NA, index=column.index, dtype="str")
    formatted = pd.Series(pd.DatetimeIndex(uniques).strftime("%Y-%m-%d"), dtype="str")
    out = formatted.take(np.maximum(codes, 0))
    out.index = column.index
    return out.where(codes >= 0)


def record_keys(typed: pd.DataFrame, schema: FamilySchema) -> pd.Series:
    """Natural key per row: the first alternative whose fields are all filled."""
    keys = pd.Series(pd.NA, index=typed.index, dtype="str")
    remaining = np.ones(len(typed), dtype=bool)
    texts: dict[str, pd.Series] = {}
    for alternative in schema.natural_keys:
        if not remaining.any():
            break
        for name in alternative:
            if name not in texts:
                texts[name] = _key_text(typed[name])
        complete = remaining.copy()
        for name in alternative:
            complete &= texts[name].notna().to_numpy(dtype=bool)
        if not complete.any():
            continue
        joined = "+".join(alternative) + "=" + texts[alternative[0]][complete]
        for name in alternative[1:]:
            joined = joined + "|" + texts[name][complete]
        keys[complete] = joined
        remaining &= ~complete
    return keys


def match_medicines(
    typed: pd.DataFrame, schema: FamilySchema, matcher: Matcher
) -> pd.DataFrame:
    """matched_cis, match_method and match_score per row, asking the matcher once per
    distinct (code, label) pair. Only auto-accepted matches set the CIS."""
    link = schema.medicine
    n = len(typed)
    if link is None:
        return pd.DataFrame(index=typed.index)
    # Arrow strings throughout: a million Python strings would double the memory.
    code = pd.Series(pd.NA, index=typed.index, dtype="str")
    for name in link.code_fields:
        code = code.where(code.notna(), typed[name].astype("str"))
    label = typed[link.label_field].astype("str")
    pairs = pd.DataFrame({"code": code, "label": label})
    codes = (
        pairs.groupby(["code", "label"], dropna=False, sort=False).ngroup().to_numpy()
    )
    first = pd.Series(np.arange(n)).groupby(codes).first().to_numpy()
    distinct = pairs.iloc[first]
    result = matcher(
        [None if pd.isna(v) else str(v) for v in distinct["label"]],
        [None if pd.isna(v) else str(v) for v in distinct["code"]],
    )
    method = result["method"].astype(object).to_numpy()
    accepted = result["auto_accepted"].to_numpy(dtype=bool)
    # A guess a person must confirm is "review", whatever the method found it.
    method = np.where(
        (~accepted) & np.isin(method, ["fuzzy", "exact", "alias"]), "review", method
    )
    guesses = result["cis"].astype(object).to_numpy()
    cis = np.where(accepted, guesses, np.full(len(guesses), None, dtype=object))
    empty = (pairs["code"].isna() & pairs["label"].isna()).to_numpy()
    out = pd.DataFrame(
        {
            "matched_cis": cis[codes],
            "match_method": method[codes],
            "match_score": result["score"].to_numpy(dtype=np.float64)[codes],
        },
        index=typed.index,
    )
    out.loc[empty, ["matched_cis", "match_method"]] = [None, ""]
    out.loc[empty, "match_score"] = 0.0
    return out


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
) -> CleanResult:
    """The whole chain on a mapped frame; rows with a blocking issue, excluded
    rows and duplicates are left out of ``records`` (and listed in ``issues``).

    ``records`` keeps the input positions in a ``position`` column.
    """
    step = progress or (lambda _stage: None)
    n = len(mapped)
    mapped = mapped.reset_index(drop=True)
    step("normalise")
    typed, typing_issues = normalise(mapped, schema, mapping, today=today)
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

    step("deduplicate")
    dup = _Issues()
    value_columns = [c for c in schema.field_names if c in typed.columns]
    # Only rows sharing a natural key can repeat each other: compare within
    # those few rows, not across the million.
    shared = np.flatnonzero(
        typed["record_key"].duplicated(keep=False).to_numpy() & keep
    )
    for code, columns in (("DUPLICATE_ROW", value_columns), ("DUPLICATE_KEY", None)):
        positions = shared[keep[shared]]
        if not len(positions):
            break
        candidates = typed.iloc[positions]
        subset = columns if columns is not None else ["record_key"]
        repeated = candidates.duplicated(subset=subset, keep="last").to_numpy()
        if not repeated.any():
            continue
        # The detail of a dropped row is the position of the row kept instead.
        groups = candidates.groupby(subset, dropna=False, sort=False).ngroup()
        last = pd.Series(positions).groupby(groups.to_numpy()).transform("last")
        kept_instead = np.full(n, -1, dtype=np.int64)
        kept_instead[positions] = last.to_numpy()
        dropped = np.zeros(n, dtype=bool)
        dropped[positions[repeated]] = True
        dup.add(dropped, "", None, code, WARNING, kept_instead)
        keep[positions[repeated]] = False

    records = typed[keep]
    del typed  # a million rows: keep one typed copy in memory, not two
    records["position"] = np.flatnonzero(keep)
    counts: dict[str, int] = {}
    if schema.medicine is not None and matcher is not None and len(records):
        step("match")
        matched = match_medicines(records, schema, matcher)
        for column in matched.columns:
            records[column] = matched[column].to_numpy()
        del matched
        to_review = (
            records["match_method"]
            .isin(["unmatched", "review", "ambiguous"])
            .to_numpy()
        )
        if to_review.any():
            # The value shown is the label, or the code when there is none; only
            # the few rows to review are turned into Python strings.
            few = records.loc[to_review]
            named = few[schema.medicine.label_field].astype(object)
            for code_field in schema.medicine.code_fields:
                named = named.where(named.notna(), few[code_field].astype(object))
            shown_values = np.full(n, "", dtype=object)
            shown_values[np.flatnonzero(keep)[to_review]] = (
                named.fillna("").astype(str).to_numpy()
            )
            shown = pd.Series(shown_values, dtype=object)
            for method, code in (
                ("unmatched", "MEDICINE_UNMATCHED"),
                ("review", "MEDICINE_TO_REVIEW"),
                ("ambiguous", "MEDICINE_AMBIGUOUS"),
            ):
                mask = (records["match_method"] == method).to_numpy()
                dup.add(_spread(mask, keep), "medicine", shown, code, WARNING)
        counts = match_counts(records["match_method"])
    issues = pd.concat([issues, dup.frame()], ignore_index=True)
    return CleanResult(
        records=records.reset_index(drop=True),
        issues=issues.sort_values(["position", "code"], kind="stable").reset_index(
            drop=True
        ),
        rows_read=n,
        rejected_positions=np.flatnonzero(~keep),
        matches=counts,
    )


def _spread(mask: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """A mask over the kept rows, as a mask over all rows."""
    full = np.zeros(len(keep), dtype=bool)
    full[np.flatnonzero(keep)[np.asarray(mask, dtype=bool)]] = True
    return full
