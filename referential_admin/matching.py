"""Match free-text medicine labels to BDPM specialities (CIS codes).

Pure Python (pandas, numpy, rapidfuzz, optional pyarrow); no Django import.
Cascade: exact code (CIS, CIP13, CIP7, given or found in the label) -> alias
memory -> exact normalised name -> exact token-sorted name -> fuzzy candidates.

Normalisation rules (``normalise_label`` and ``normalise_series`` give equal output):

- lower case, apostrophes and punctuation to spaces, accents removed (NFKD),
  ``(e)``/``(s)`` marks dropped ("gastro-résistant(e)" -> "gastro resistant");
- decimal comma to point, trailing decimal zeros dropped ("0,50" -> "0.5"); a
  number glued to its unit is split ("1000mg" -> "1000 mg");
- thousands: a group of 1 to 3 digits followed by space-separated groups of
  exactly 3 digits is one number, as in French typography ("1 000 mg" -> "1000 mg",
  so "2 100 mg" -> "2100 mg"); dotted groups "1.000.000" and "750.000" (three
  zeros) are thousands too; a range "260 - 500" becomes "260 a 500";
- units: "µg", "mcg", "microgramme(s)" -> "microgrammes"; "U.I." -> "ui"; "mL" ->
  "ml"; "pour cent" -> "%"; grams become milligrams when the value has at most
  3 decimals ("1 g" -> "1000 mg", "0,5 g" -> "500 mg");
- "/" is kept in strengths ("mg/ml", "600 mg/300 mg") and becomes a space between
  words ("ABACAVIR/LAMIVUDINE" -> "abacavir lamivudine");
- abbreviations are expanded ("cp" -> "comprime", "sol inj" -> "solution
  injectable", "LP" -> "a liberation prolongee", plurals of forms to singular);
  "gél" written with its accent and "gelu" become "gelule"; "gel" is a real form.

Fuzzy step: candidates are the specialities whose first word is the label's first
word (or its nearest first words, for a typo); when the best WRatio score is weak,
every word of the label is used as a block key. Candidates are ranked by WRatio,
plus a bonus when their strength numbers equal the label's. The best one is
auto-accepted only when (see ``MatchPolicy``) its strength agrees, every label
word is in its name and every product word of its name is in the label (one typo
allowed), its form words are in the label (or the label states no form at all and
``accept_unstated_form``), and no other candidate agrees as well. Labels naming
only a product ("DOLIPRANE") and exact names shared by several CIS are
"ambiguous"; only auto-accepted rows may be applied without review.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

try:  # pyarrow is optional for pandas 3; without it the Python rules are used.
    import pyarrow as pa
    import pyarrow.compute as pc
except ImportError:  # pragma: no cover - exercised only without pyarrow
    pa = None
    pc = None

__all__ = [
    "DEFAULT_POLICY",
    "METHODS",
    "MatchPolicy",
    "ReferentialIndex",
    "match_labels",
    "normalise_label",
    "normalise_series",
    "sorted_key",
    "strength_tokens",
]

METHODS = ("code", "alias", "exact", "fuzzy", "ambiguous", "unmatched")

# --------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------

_UNITS = (
    "mg g kg microgrammes nanogrammes microlitres ml l ui mui kui u unites mmol "
    "micromoles mol meq mbq gbq kbq ch dh k ir ic ppm heures heure h dose doses cm2 "
    "m2 cm pulverisation pulverisations cellules millions mu"
).split()
_UNIT_SET = frozenset((*_UNITS, "%"))
_UNIT_ALT = "|".join(sorted(_UNITS, key=len, reverse=True))

# Single-token abbreviations and plural forms (applied to whole tokens).
_TOKEN_MAP: dict[str, str] = {
    short: full
    for shorts, full in (
        ("cp cpr cpm cps cpe comp compr comprimes", "comprime"),
        ("gelu gelul gelules", "gelule"),
        ("sol solu solutions", "solution"),
        ("buv buvables", "buvable"),
        ("inj inject injectables", "injectable"),
        ("perf perfus", "perfusion"),
        ("susp suspensions", "suspension"),
        ("pdr pdre poud poudres", "poudre"),
        ("amp ampoules", "ampoule"),
        ("fl flac flacons", "flacon"),
        ("sach sachets", "sachet"),
        ("caps capsules", "capsule"),
        ("pell pellic pellicul pellicules", "pellicule"),
        ("secab secables", "secable"),
        ("eff efferv effervescente effervescents effervescentes", "effervescent"),
        ("orodisp orodispersibles", "orodispersible"),
        ("disp dispers", "dispersible"),
        ("enr", "enrobe"),
        ("pom pommades", "pommade"),
        ("supp suppo suppositoires", "suppositoire"),
        ("coll", "collyre"),
        ("gtt gttes", "gouttes"),
        ("ser seringues", "seringue"),
        ("preremplies", "preremplie"),
        ("gastroresistant gastroresistante", "gastro resistant"),
        ("resistante resistants resistantes", "resistant"),
        ("pr", "pour"),
        ("lp", "a liberation prolongee"),
        ("lm", "a liberation modifiee"),
    )
    for short in shorts.split()
}

_G_TO_MG = tuple(
    (r"(^|[ /])" + pattern + r" g\b", r"\1" + repl + " mg")
    for pattern, repl in (
        (r"0\.00([1-9])", r"\2"),
        (r"0\.0([1-9])", r"\2~0"),
        (r"0\.0([1-9][0-9])", r"\2"),
        (r"0\.([1-9])", r"\2~00"),
        (r"0\.([1-9][0-9])", r"\2~0"),
        (r"0\.([1-9][0-9][0-9])", r"\2"),
        (r"([1-9][0-9]*)\.([0-9])", r"\2\3~00"),
        (r"([1-9][0-9]*)\.([0-9][0-9])", r"\2\3~0"),
        (r"([1-9][0-9]*)\.([0-9][0-9][0-9])", r"\2\3"),
        (r"([1-9][0-9]*)", r"\2~000"),
    )
)

_Rules = tuple[tuple[str, str], ...]

_THOUSANDS: tuple[str, _Rules] = (
    "[0-9] [0-9]{3}",
    (
        (
            r"(^|[ /])([0-9]{1,3}) ([0-9]{3}) ([0-9]{3}) ([0-9]{3})\b",
            r"\1\2\3\4\5",
        ),
        (r"(^|[ /])([0-9]{1,3}) ([0-9]{3}) ([0-9]{3})\b", r"\1\2\3\4"),
        (r"(^|[ /])([0-9]{1,3}) ([0-9]{3})\b", r"\1\2\3"),
    ),
)

# Ordered groups of (pattern, replacement) rules, applied after lower case + NFKD.
# A group runs only on values matching its guard (None: all values); every rule of a
# group can only match where its guard matches. Patterns avoid look-arounds and
# back-references, and replacements use "\N" never followed by a digit ("~" separates
# appended zeros), so Python ``re`` and RE2 (pyarrow) read them the same way.
_STEPS: tuple[tuple[str | None, _Rules], ...] = (
    (
        None,
        (
            ("[\t\n\r\x0b\x0c\u2019'`\u2018\u00b4\u02bc]", " "),
            (r"\((?:e|s|es|x)\)", ""),
        ),
    ),
    # The ANSM's shortage lists name a medicine "Name – [substance]": the
    # bracketed substance is not part of the referential's denomination.
    ("\\]", ((" *[-\u2013\u2014]? *\\[[^\\]]*\\] *$", ""),)),
    (
        "ge\u0301l",
        (
            (
                "(^|[^a-z0-9\u0300-\u036f])ge\u0301l($|[^a-z0-9\u0300-\u036f])",
                r"\1gelule\2",
            ),
        ),
    ),
    (
        r"[^\x00-\x7f]",
        (
            ("[\u0300-\u036f]", ""),
            ("\u0153", "oe"),
            ("\u00e6", "ae"),
            ("\u00df", "ss"),
            ("\u03bcg", " microgrammes "),
            ("\u03bcl", " microlitres "),
            ("\u00d7", " x "),
            (r"[^\x00-\x7f]", " "),
        ),
    ),
    ("[0-9],[0-9]", ((r"([0-9]),([0-9])", r"\1.\2"),)),
    (
        r"u\.i",
        ((r"(^|[^a-z])m\.u\.i\.?", r"\1 mui "), (r"(^|[^a-z])u\.i\.?", r"\1 ui ")),
    ),
    ("pour ?cent", ((r"\bpour ?cent\b", " % "),)),
    (
        r"[a-z]\.[a-z]",
        ((r"(^|[^a-z0-9.])([a-z])\.([a-z])\.?($|[^a-z0-9.])", r"\1\2\3\4"),),
    ),
    ("[0-9] *-", ((r"([0-9]) *- *([0-9])", r"\1 a \2"),)),
    (
        r"[0-9]\.[0-9]{3}",
        (
            (r"(^|[^0-9.])([1-9][0-9]{0,2})\.([0-9]{3})\.([0-9]{3})\b", r"\1\2\3\4"),
            (r"(^|[^0-9.])([1-9][0-9]{0,2})\.(000)\b", r"\1\2\3"),
        ),
    ),
    (None, ((r"[^a-z0-9./%]+", " "),)),
    (
        r"\.",
        (
            # A number holds at most one decimal point: "0.5.5" -> "0.5 5".
            (r"([0-9]\.[0-9]+)\.([0-9])", r"\1 \2"),
            (r"([0-9]\.[0-9]+)\.([0-9])", r"\1 \2"),
            (r"([0-9])\.([0-9])", r"\1#\2"),
            (r"\.", " "),
            ("#", "."),
        ),
    ),
    ("[0-9][a-z%]", ((r"([0-9])([a-z%])", r"\1 \2"),)),
    ("/", ((r"[ /]*/[ /]*", "/"),)),
    ("  ", ((" +", " "),)),
    (
        r"[0-9]\.[0-9]*0\b",
        ((r"([0-9]\.[0-9]*[1-9])0+\b", r"\1"), (r"([0-9])\.0+\b", r"\1")),
    ),
    _THOUSANDS,
    (
        r"mcg|microg|\bug\b|milligr|millil|\bmls\b|[0-9] gr|[0-9] litre|\bu i\b|\biu\b"
        r"|unites internationales",
        (
            (r"\b(?:mcg|microgramme|microgrammes|microg|ug)\b", "microgrammes"),
            (r"\bmilligrammes?\b", "mg"),
            (r"\b(?:millilitres?|mls)\b", "ml"),
            (r"([0-9]) (?:grammes?|gr|grs)\b", r"\1 g"),
            (r"([0-9]) litres?\b", r"\1 l"),
            (r"\b(?:u i|iu|unites internationales)\b", "ui"),
        ),
    ),
    (r"[0-9] g\b", (*_G_TO_MG, ("~", ""))),
    # Grams in milligrams may now follow a number ("1 0,5 g" -> "1 500 mg"):
    # grouped again, so that a normalised label normalises to itself.
    _THOUSANDS,
    (
        "/",
        (
            ("(^|[ /])(" + _UNIT_ALT + ")/", r"\1\2@"),
            (r"(^|[ /])([0-9][0-9.]*|%)/", r"\1\2@"),
            ("/([0-9])", r"@\1"),
            ("/", " "),
            ("@", "/"),
            (r"\bu i\b", "ui"),
        ),
    ),
    (
        "prol|gastro res|pre rempli",
        (
            (r"\b(?:lib|liberation) prol\b", "liberation prolongee"),
            (r"\bgastro res\b", "gastro resistant"),
            (r"\bpre (rempli|remplie|remplies)\b", r"pre\1"),
        ),
    ),
)
_FINAL_RULES: _Rules = ((" +", " "), ("^ | $", ""))

_PY_STEPS = tuple(
    (
        None if guard is None else re.compile(guard),
        [(re.compile(p), r) for p, r in rules],
    )
    for guard, rules in _STEPS
)
_PY_FINAL = [(re.compile(p), r) for p, r in _FINAL_RULES]


def normalise_label(text: str | None) -> str:
    """Return the canonical matching form of one label ("" for None or blank)."""
    if _is_missing(text):
        return ""
    value = unicodedata.normalize("NFKD", str(text).lower())
    for guard, rules in _PY_STEPS:
        if guard is None or guard.search(value):
            for pattern, repl in rules:
                value = pattern.sub(repl, value)
    value = " ".join(_TOKEN_MAP.get(token, token) for token in value.split(" "))
    for pattern, repl in _PY_FINAL:
        value = pattern.sub(repl, value)
    return value


_SURROGATE = re.compile("[\ud800-\udfff]")


def _normalise_arrow(values: list[str]) -> list[str]:
    """Apply the normalisation steps to a list with pyarrow compute (RE2)."""
    try:
        arr = pa.array(values, type=pa.large_string())
    except UnicodeEncodeError:  # lone surrogates: Python turns them into spaces too
        arr = pa.array([_SURROGATE.sub(" ", v) for v in values], pa.large_string())
    arr = pc.utf8_normalize(pc.utf8_lower(arr), "NFKD")
    for guard, rules in _STEPS:
        if guard is None:
            for pattern, repl in rules:
                arr = pc.replace_substring_regex(arr, pattern, repl)
            continue
        mask = pc.match_substring_regex(arr, guard)
        if not pc.any(mask).as_py():
            continue
        subset = pc.filter(arr, mask)
        for pattern, repl in rules:
            subset = pc.replace_substring_regex(subset, pattern, repl)
        arr = pc.replace_with_mask(arr, mask, subset)
    tokens = pc.split_pattern(arr, " ")
    flat = pc.list_flatten(tokens)
    position = pc.index_in(
        flat, value_set=pa.array(list(_TOKEN_MAP), pa.large_string())
    )
    replacements = pc.take(
        pa.array(list(_TOKEN_MAP.values()), pa.large_string()), position
    )
    flat = pc.if_else(pc.is_null(position), flat, replacements)
    rebuilt = type(tokens).from_arrays(tokens.offsets, flat)
    arr = pc.binary_join(rebuilt, pa.scalar(" ", pa.large_string()))
    for pattern, repl in _FINAL_RULES:
        arr = pc.replace_substring_regex(arr, pattern, repl)
    result: list[str] = arr.to_pylist()
    return result


def _normalise_distinct(values: list[str]) -> list[str]:
    if not values:
        return []
    if pc is None:  # pragma: no cover - exercised only without pyarrow
        return [normalise_label(v) for v in values]
    return _normalise_arrow(values)


def normalise_series(labels: pd.Series) -> pd.Series:
    """Vectorised ``normalise_label``: same output, computed once per distinct value.

    Missing values give "". The result keeps the input index and has ``str`` dtype.
    """
    codes, distinct_raw = _factorize_text(labels.tolist())
    distinct = np.array(_normalise_distinct(distinct_raw) or [""], dtype=object)
    return pd.Series(
        distinct[codes] if len(codes) else [], index=labels.index, dtype="str"
    )


def _factorize_text(
    values: Sequence[object],
) -> tuple[npt.NDArray[np.intp], list[str]]:
    """Codes and distinct strings of values; missing values (None, NaN, NA) are ""."""
    positions: dict[str, int] = {}
    codes = np.fromiter(
        (
            positions.setdefault(
                v if type(v) is str else "" if _is_missing(v) else str(v),
                len(positions),
            )
            for v in values
        ),
        dtype=np.intp,
        count=len(values),
    )
    return codes, list(positions)


def _is_missing(value: object) -> bool:
    return (
        value is None or value is pd.NA or (isinstance(value, float) and value != value)
    )


def sorted_key(normalised: str) -> str:
    """Return the word-order-insensitive key of a normalised label (sorted tokens)."""
    return " ".join(sorted(normalised.split()))


def strength_tokens(normalised: str) -> frozenset[str]:
    """Return the dosage tokens of a normalised label, e.g. {"600 mg", "300 mg"}.

    "10 mg/ml" stays one token; a number without a known unit is a bare token.
    """
    return _strength(normalised)[0]


_Strength = tuple[frozenset[str], tuple[str, ...]]


_NUMBER_UNIT = re.compile(
    r"(?:^|(?<=[ /]))([0-9]+(?:\.[0-9]+)?)"
    r"(?: ([a-z%][a-z0-9%]*(?:/[a-z%][a-z0-9%]*)*))?(?=[ /]|$)"
)


def _strength(normalised: str) -> _Strength:
    """Dosage tokens and the sorted numbers they hold (the numbers signature)."""
    tokens = set()
    numbers = []
    for number, unit in _NUMBER_UNIT.findall(normalised):
        numbers.append(number)
        parts = unit.split("/") if unit else []
        if parts and parts[0] in _UNIT_SET:
            kept = [parts[0]]
            for part in parts[1:]:
                if part not in _UNIT_SET:
                    break
                kept.append(part)
            tokens.add(f"{number} {'/'.join(kept)}")
        else:
            tokens.add(number)
    return frozenset(tokens), tuple(sorted(numbers))


def _strengths_agree(
    label: _Strength, name: _Strength, head_numbers: tuple[str, ...] = ()
) -> bool:
    """Same numbers (of the whole name or of the name before its form), and each
    label number written with a known unit has it in the name. A number whose unit
    is missing or misspelt ("200 lg") only needs the number."""
    if label[1] != name[1] and label[1] != head_numbers:
        return False
    return all(t in name[0] for t in label[0] if " " in t)


def strengths_differ(label: str, name: str) -> bool:
    """Whether a referential name lacks a dosage the label states ("125 mg/5 ml"
    against "125 mg/2,5 ml"); False when the label states none."""
    wanted = _strength(normalise_label(label))[0]
    found = _strength(normalise_label(name))[0]
    return any(token not in found for token in wanted if " " in token)


_STOP_WORDS = frozenset(
    "a au aux avec d de des du en et l la le les ou par pour sans sur un une".split()
)


_NOT_SIGNIFICANT = _UNIT_SET | _STOP_WORDS


_ALPHA_WORD = re.compile(r"(?:^|(?<= ))[a-z][^ ]*")
_NON_NUMBER = re.compile(r"(?:^|(?<= ))[^0-9 ][^ ]*")


def _significant(normalised: str) -> frozenset[str]:
    """Words that identify a product or form: no numbers, units or stop words."""
    return frozenset(_ALPHA_WORD.findall(normalised)) - _NOT_SIGNIFICANT


class _LabelWords(NamedTuple):
    """Words of a normalised label, as the agreement checks need them."""

    needed: frozenset[str]  # to find in the name (form and product words, units)
    pool: frozenset[str]  # where the name's product words are looked for
    stated: frozenset[str]  # words that are not units


def _is_unit_like(token: str) -> bool:
    """A unit, a number, or a chain of them ("mg/ml", "mg/24", "cellules/ml")."""
    return all(p in _UNIT_SET or p[:1].isdigit() for p in token.split("/") if p)


def _label_words(normalised: str, forms: frozenset[str]) -> _LabelWords:
    """Split a label's words. Needed words skip stop words, units written after a
    number or inside a strength ("mg/24") and short non-form words right after a
    number (a misspelt unit, "50 mt": the strength check covers them). Other units
    are needed ("... par g" is not "... par ml")."""
    tokens = normalised.split()
    pool = [t for t in tokens if t[0].isalpha() and t not in _STOP_WORDS]
    needed = []
    for i, token in enumerate(tokens):
        if not token[0].isalpha() or token in _STOP_WORDS:
            continue
        after_number = i > 0 and tokens[i - 1][-1].isdigit()
        unit_like = _is_unit_like(token)
        if unit_like and (after_number or "/" in token):
            continue
        if after_number and len(token) <= 3 and token not in forms:
            continue
        needed.append(token)
    stated = frozenset(t for t in needed if not _is_unit_like(t))
    return _LabelWords(frozenset(needed), frozenset(pool), stated)


def _words(normalised: str) -> frozenset[str]:
    """Every word that is not a number (units and stop words included)."""
    return frozenset(_NON_NUMBER.findall(normalised))


def _block_key(normalised: str) -> str:
    """First token that holds a letter and is not a unit (the blocking key)."""
    for token in normalised.split():
        if token not in _UNIT_SET and not token[0].isdigit():
            return token
    return ""


def _alpha_tokens(normalised: str) -> list[str]:
    return [t for t in normalised.split() if t not in _UNIT_SET and not t[0].isdigit()]


# --------------------------------------------------------------------------------------
# Index
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MatchPolicy:
    """Per-family rule for auto-accepting a fuzzy best candidate.

    Accepted when score >= ``auto_accept_score``, its lead over the next speciality
    is >= ``min_margin``, its strength equals the label's (if required), every word
    agrees both ways and no other candidate agrees as well. With
    ``accept_unstated_form``, a label that states no form may be accepted when only
    one form of its product and strength is left. Below ``floor_score``: unmatched.
    """

    auto_accept_score: float = 85.0
    min_margin: float = 1.0
    require_strength_agreement: bool = True
    accept_unstated_form: bool = True
    floor_score: float = 60.0


DEFAULT_POLICY = MatchPolicy()

_STRENGTH_BONUS = 6.0  # ranking bonus when strength tokens equal the label's
_TIE_MARGIN = 0.5  # rank keys closer than this are a tie
_WIDEN_BELOW = 88.0  # below this best score, blocking is widened
_NEAREST_KEYS = 3
_NEAREST_KEY_CUTOFF = 75.0
_RANKED_HITS = 12
_WIDE_TOKENS = 8

# Splits "NAME strength, form": the form starts at the first ", " + letter.
_FORM_SPLIT = re.compile(r",\s*(?=[^\W\d_])")


_NameWords = tuple[frozenset[str], frozenset[str], frozenset[str]]


def _head(name: str, form: str) -> str:
    """The name without its trailing form part."""
    return name[: len(name) - len(form)] if form and name.endswith(form) else name


class ReferentialIndex:
    """Pre-normalised BDPM specialities with code, alias and blocking lookups."""

    def __init__(
        self,
        cis: list[str],
        names: list[str],
        normalised: list[str],
        form_parts: list[str],
        form_names: list[str],
        cip13: dict[str, str],
        cip7: dict[str, str],
        aliases: dict[str, str],
    ) -> None:
        self.cis = cis
        self.names = names
        self.normalised = normalised
        self.cip13 = cip13
        self.cip7 = cip7
        self.aliases = aliases
        self.position = {code: i for i, code in enumerate(cis)}
        self.form_vocabulary = frozenset().union(*map(_significant, set(form_names)))
        self.form_parts = form_parts
        self._form_words = {f: _significant(f) for f in set(form_parts)}
        self._name_words: dict[int, _NameWords] = {}
        self.strengths: list[_Strength] = []
        # Numbers of the name before its form ("(rapport ... : 8/1)" is no strength).
        self.head_numbers: list[tuple[str, ...]] = []
        self.signature_ids: dict[tuple[str, ...], int] = {}
        signatures: list[int] = []
        self.exact: dict[str, list[int]] = {}
        self.by_sorted_key: dict[str, list[int]] = {}
        blocks: dict[str, list[int]] = {}
        form_numbers = {f: any(c.isdigit() for c in f) for f in self._form_words}
        for i, (name, form) in enumerate(zip(normalised, form_parts, strict=True)):
            strength = _strength(name)
            self.strengths.append(strength)
            self.head_numbers.append(
                _strength(_head(name, form))[1] if form_numbers[form] else strength[1]
            )
            signatures.append(
                self.signature_ids.setdefault(strength[1], len(self.signature_ids))
            )
            self.exact.setdefault(name, []).append(i)
            self.by_sorted_key.setdefault(sorted_key(name), []).append(i)
            blocks.setdefault(_block_key(name), []).append(i)
        self.signatures = np.array(signatures, dtype=np.int64)
        self.blocks = {k: np.array(v, dtype=np.int64) for k, v in blocks.items()}
        self.block_keys = list(self.blocks)
        self.normalised_array = np.array(normalised, dtype=object)
        self.lengths = np.array([len(n) for n in normalised], dtype=np.float64)

    @classmethod
    def build(
        cls,
        specialities: pd.DataFrame,
        presentations: pd.DataFrame | None = None,
        aliases: Mapping[str, str] | None = None,
    ) -> ReferentialIndex:
        """Build the index from specialities: columns ``cis``, ``name`` and ``form``
        (optional: without it the form is read after the name's first comma).

        ``presentations`` may hold ``cis`` with ``cip13`` and/or ``cip7`` columns;
        ``aliases`` maps labels (raw or normalised) to a CIS. Codes and aliases that
        point to a CIS absent from ``specialities`` are ignored.
        """
        frame = specialities.rename(columns=str.lower)
        cis = frame["cis"].astype(str).str.strip().tolist()
        names = frame["name"].fillna("").astype(str).str.strip().tolist()
        normalised = normalise_series(pd.Series(names, dtype=object)).tolist()
        split_forms = [
            parts[1] if len(parts := _FORM_SPLIT.split(name, maxsplit=1)) > 1 else ""
            for name in names
        ]
        form_parts = normalise_series(pd.Series(split_forms, dtype=object)).tolist()
        if "form" in frame.columns:
            forms = normalise_series(frame["form"]).tolist()
            vocabulary = forms + form_parts
            # The longer of the form column and the text after the first comma,
            # as long as the name ends with it.
            form_parts = [
                form
                if form and name.endswith(form) and len(form) > len(split)
                else split
                for name, form, split in zip(normalised, forms, form_parts, strict=True)
            ]
        else:
            vocabulary = form_parts
        known = set(cis)
        cip13: dict[str, str] = {}
        cip7: dict[str, str] = {}
        if presentations is not None:
            pres = presentations.rename(columns=str.lower)
            targets = pres["cis"].astype(str).str.strip().tolist()
            for column, table in (("cip13", cip13), ("cip7", cip7)):
                if column in pres.columns:
                    codes = _clean_codes(pres[column]).tolist()
                    table.update(
                        (code, target)
                        for code, target in zip(codes, targets, strict=True)
                        if code and target in known
                    )
        alias_map: dict[str, str] = {}
        if aliases:
            keys = normalise_series(pd.Series(list(aliases), dtype=object)).tolist()
            for key, target in zip(keys, aliases.values(), strict=True):
                if key and str(target).strip() in known:
                    alias_map[key] = str(target).strip()
        return cls(
            cis, names, normalised, form_parts, vocabulary, cip13, cip7, alias_map
        )

    def __len__(self) -> int:
        return len(self.cis)

    def name_words(self, position: int) -> _NameWords:
        """Words of a speciality name: all of them, the product's, the form's."""
        found = self._name_words.get(position)
        if found is None:
            name, form = self.normalised[position], self.form_parts[position]
            found = (
                _words(name),
                _significant(_head(name, form)),
                self._form_words[form],
            )
            self._name_words[position] = found
        return found

    def code_to_cis(self, code: object) -> str | None:
        """Return the CIS of a CIS (8 digits), CIP13 or CIP7 code, else None."""
        digits = _clean_code(code)
        if len(digits) == 8:
            return digits if digits in self.position else None
        if len(digits) == 13:
            return self.cip13.get(digits)
        if len(digits) == 7:
            return self.cip7.get(digits)
        return None


def _clean_code(code: object) -> str:
    text = str(code).strip()
    if text.endswith(".0"):
        text = text[:-2]
    return re.sub(r"[^0-9]", "", text)


def _clean_codes(codes: pd.Series) -> pd.Series:
    text = codes.astype(object).where(codes.notna(), "").astype(str).str.strip()
    return text.str.replace(r"\.0$", "", regex=True).str.replace(
        r"[^0-9]", "", regex=True
    )


_CODE_IN_TEXT = re.compile(r"(?<![0-9.,])([0-9]{13}|[0-9]{8}|[0-9]{7})(?![0-9])")
_LONG_NUMBER = re.compile(r"[0-9]{7}")
_NEXT_WORD = re.compile(r"\s*([^\W\d_]+|%)")


def _code_in_text(index: ReferentialIndex, raw: str) -> str | None:
    """A known code written in the label, unless a unit follows it ("1000000 UI")."""
    if _LONG_NUMBER.search(raw) is None:
        return None
    for match in _CODE_IN_TEXT.finditer(raw):
        following = _NEXT_WORD.match(raw, match.end())
        if following and normalise_label(following.group(1)) in _UNIT_SET:
            continue
        found = index.code_to_cis(match.group(1))
        if found is not None:
            return found
    return None


# --------------------------------------------------------------------------------------
# Matching
# --------------------------------------------------------------------------------------

Candidate = tuple[str, str, float]
_Outcome = tuple["str | None", str, float, bool, list[Candidate]]
_Hit = tuple[int, float, float]  # position in the index, score, rank key


def match_labels(
    index: ReferentialIndex,
    labels: Sequence[str | None],
    codes: Sequence[str | None] | None = None,
    *,
    policy: MatchPolicy | None = None,
    auto_accept: float | None = None,
    candidates: int = 5,
) -> pd.DataFrame:
    """Match labels (and optional codes) to CIS; one row per input, in input order.

    Columns: input_index, raw, cis (best guess or None), method, score (0-100),
    auto_accepted, candidates (up to ``candidates`` (cis, name, score), best first).
    ``auto_accept`` overrides the policy score. Only auto-accepted rows may be
    applied without human review.
    """
    rule = policy or DEFAULT_POLICY
    if auto_accept is not None:
        rule = dataclasses.replace(rule, auto_accept_score=auto_accept)
    n = len(labels)
    code_list: list[str | None] = [None] * n if codes is None else list(codes)
    if len(code_list) != n:
        raise ValueError("codes and labels must have the same length")
    row_raw, distinct_raw = _factorize_text(list(labels))
    distinct_normalised = _normalise_distinct(distinct_raw)
    text_cis = [_code_in_text(index, u) for u in distinct_raw]
    outcomes = _match_normalised(index, distinct_normalised, rule, candidates)

    given_cis: dict[str, str | None] = {}
    results: list[_Outcome] = []
    for i in range(n):
        found: str | None = None
        code = code_list[i]
        if not _is_missing(code):
            key = str(code)
            if key not in given_cis:
                given_cis[key] = index.code_to_cis(key)
            found = given_cis[key]
        u = int(row_raw[i])
        found = found or text_cis[u]
        if found is not None:
            name = index.names[index.position[found]]
            results.append((found, "code", 100.0, True, [(found, name, 100.0)]))
        else:
            results.append(outcomes[distinct_normalised[u]])
    return pd.DataFrame(
        {
            "input_index": np.arange(n, dtype=np.int64),
            "raw": pd.Series(list(labels), dtype=object),
            "cis": pd.Series([r[0] for r in results], dtype=object),
            "method": pd.Series([r[1] for r in results], dtype=object),
            "score": np.array([r[2] for r in results], dtype=np.float64),
            "auto_accepted": np.array([r[3] for r in results], dtype=bool),
            "candidates": pd.Series([list(r[4]) for r in results], dtype=object),
        }
    )


def _exact(index: ReferentialIndex, positions: list[int], limit: int) -> _Outcome:
    """Outcome of an exact lookup: accepted when it names exactly one speciality."""
    found = list(
        {
            index.cis[p]: (index.cis[p], index.names[p], 100.0) for p in positions
        }.values()
    )
    if len(found) == 1:
        return found[0][0], "exact", 100.0, True, found
    return found[0][0], "ambiguous", 100.0, False, found[:limit]


def _match_normalised(
    index: ReferentialIndex, normalised: list[str], rule: MatchPolicy, limit: int
) -> dict[str, _Outcome]:
    """Alias, exact, token-sorted and fuzzy steps, once per distinct label."""
    outcomes: dict[str, _Outcome] = {}
    pending: list[str] = []
    for label in dict.fromkeys(normalised):
        if not label:
            outcomes[label] = (None, "unmatched", 0.0, False, [])
        elif label in index.aliases:
            target = index.aliases[label]
            name = index.names[index.position[target]]
            outcomes[label] = (target, "alias", 100.0, True, [(target, name, 100.0)])
        elif label in index.exact:
            outcomes[label] = _exact(index, index.exact[label], limit)
        elif (key := sorted_key(label)) in index.by_sorted_key:
            outcomes[label] = _exact(index, index.by_sorted_key[key], limit)
        else:
            pending.append(label)
    if pending:
        outcomes.update(_fuzzy(index, pending, rule, limit))
    return outcomes


def _nearest_keys(index: ReferentialIndex, tokens: list[str]) -> dict[str, list[str]]:
    """Map each token to the nearest block keys by ``fuzz.ratio`` (typo in 1st word)."""
    if not tokens:
        return {}
    matrix = process.cdist(
        tokens,
        index.block_keys,
        scorer=fuzz.ratio,
        processor=None,
        score_cutoff=_NEAREST_KEY_CUTOFF,
        dtype=np.uint8,
        workers=-1,
    )
    nearest: dict[str, list[str]] = {}
    for row, token in enumerate(tokens):
        scores = matrix[row]
        top = np.argsort(-scores.astype(np.int16), kind="stable")[:_NEAREST_KEYS]
        nearest[token] = [index.block_keys[j] for j in top if scores[j] > 0]
    return nearest


def _wide_tokens(label: str) -> list[str]:
    """Words that may carry the product name, wherever they are in the label."""
    tokens = _alpha_tokens(label)
    wide = [t for t in tokens if len(t) >= 3 and t not in _STOP_WORDS]
    return (tokens[:1] + wide)[:_WIDE_TOKENS]


def _blocks_for(
    index: ReferentialIndex, label: str, nearest: Mapping[str, list[str]], wide: bool
) -> tuple[str, ...]:
    """Block keys to search: the first word (or its nearest keys); when ``wide``,
    also every word of the label that is, or is near, a key."""
    tokens = _alpha_tokens(label)
    if not tokens:
        return ()
    first = tokens[0]
    if not wide:
        if first in index.blocks:
            return (first,)
        known = [t for t in tokens[1:4] if t in index.blocks and t not in _STOP_WORDS]
        return tuple(sorted({*nearest.get(first, []), *known}))
    keys: set[str] = set()
    for token in _wide_tokens(label):
        if token in index.blocks:
            keys.add(token)
        else:
            keys.update(nearest.get(token, []))
    return tuple(sorted(keys))


def _fuzzy(
    index: ReferentialIndex, labels: list[str], rule: MatchPolicy, limit: int
) -> dict[str, _Outcome]:
    strengths = {label: _strength(label) for label in labels}
    firsts = {label: _alpha_tokens(label)[:1] for label in labels}
    unknown = sorted({f[0] for f in firsts.values() if f and f[0] not in index.blocks})
    nearest = _nearest_keys(index, unknown)
    best = _score_blocks(index, labels, strengths, nearest, wide=False)
    weak = [label for label in labels if best[label][0] < _WIDEN_BELOW]
    if weak:
        more = {
            t
            for label in weak
            for t in _wide_tokens(label)
            if len(t) >= 4 and t not in index.blocks and t not in nearest
        }
        nearest.update(_nearest_keys(index, sorted(more)))
        for label, found in _score_blocks(
            index, weak, strengths, nearest, wide=True
        ).items():
            if found[0] > best[label][0]:
                best[label] = found
    return {
        label: _decide(index, label, strengths[label], best[label][1], rule, limit)
        for label in labels
    }


def _score_blocks(
    index: ReferentialIndex,
    labels: list[str],
    strengths: Mapping[str, _Strength],
    nearest: Mapping[str, list[str]],
    *,
    wide: bool,
) -> dict[str, tuple[float, list[_Hit]]]:
    """Score labels against their blocks with WRatio; return (best score, hits).

    All (label, name) pairs are scored in one ``cpdist`` call, then ranked per label
    by score + strength bonus - a small length penalty.
    """
    block_cache: dict[tuple[str, ...], npt.NDArray[np.int64]] = {}
    segments: list[npt.NDArray[np.int64]] = []
    for label in labels:
        keys = _blocks_for(index, label, nearest, wide)
        if keys not in block_cache:
            block_cache[keys] = (
                np.unique(np.concatenate([index.blocks[k] for k in keys]))
                if keys
                else np.zeros(0, dtype=np.int64)
            )
        segments.append(block_cache[keys])
    sizes = np.array([len(segment) for segment in segments], dtype=np.int64)
    if not sizes.sum():
        return {label: (0.0, []) for label in labels}
    positions = np.concatenate(segments)
    owner = np.repeat(np.arange(len(labels)), sizes)
    queries = np.array(labels, dtype=object)[owner]
    scores = process.cpdist(
        queries.tolist(),
        index.normalised_array[positions].tolist(),
        scorer=fuzz.WRatio,
        processor=None,
        dtype=np.float32,
    ).astype(np.float64)
    label_signatures = np.array(
        [index.signature_ids.get(strengths[label][1], -1) for label in labels],
        dtype=np.int64,
    )
    label_lengths = np.array([len(label) for label in labels], dtype=np.float64)
    rank = (
        scores
        + _STRENGTH_BONUS * (index.signatures[positions] == label_signatures[owner])
        - 0.01 * np.abs(index.lengths[positions] - label_lengths[owner])
    )
    order = np.lexsort((-rank, owner))
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    ranked: dict[str, tuple[float, list[_Hit]]] = {}
    for i, label in enumerate(labels):
        if not sizes[i]:
            ranked[label] = (0.0, [])
            continue
        top = order[starts[i] : starts[i] + min(int(sizes[i]), _RANKED_HITS)]
        hits = [(int(positions[j]), float(scores[j]), float(rank[j])) for j in top]
        ranked[label] = (float(scores[starts[i] : starts[i] + sizes[i]].max()), hits)
    return ranked


@functools.lru_cache(maxsize=1 << 16)
def _same_word(label_token: str, name_token: str) -> bool:
    """Equal words, a label abbreviation of the name word, or a small typo.

    One edit is allowed from 3 letters (two from 8); a two-letter word only matches
    a stop word of the name with one edit ("dd" for "de", not "ef" for "eg").
    """
    if label_token == name_token:
        return True
    label_length, name_length = len(label_token), len(name_token)
    if label_length >= 3 and name_token.startswith(label_token):
        return True
    shortest = min(label_length, name_length)
    allowed = 1 if shortest < 8 else 2
    if shortest < 2 or abs(label_length - name_length) > allowed:
        return False
    if shortest == 2 and name_token not in _STOP_WORDS:
        return False
    return bool(OSA.distance(label_token, name_token, score_cutoff=allowed) <= allowed)


@functools.lru_cache(maxsize=1 << 16)
def _same_product_word(label_token: str, name_token: str) -> bool:
    """Stricter than ``_same_word`` for product and lab words: equal, or one edit
    from 4 letters ("OXACILLINE" is not "CLOXACILLINE", "ACCORD" not "ACCORDPHARMA")."""
    if label_token == name_token:
        return True
    if min(len(label_token), len(name_token)) < 4:
        return False
    return bool(OSA.distance(label_token, name_token, score_cutoff=1) <= 1)


def _covered(needed: frozenset[str], pool: frozenset[str], pool_is_name: bool) -> bool:
    """Every word of ``needed`` has a same word in ``pool``."""
    if pool_is_name:
        return all(any(_same_word(t, c) for c in pool) for t in needed - pool)
    return all(any(_same_word(t, c) for t in pool) for c in needed - pool)


def _product_covered(product: frozenset[str], label_words: frozenset[str]) -> bool:
    """Every product word of a name is in the label, up to one typo."""
    return all(
        any(_same_product_word(t, c) for t in label_words)
        for c in product - label_words
    )


def _agreement(
    index: ReferentialIndex,
    position: int,
    words: _LabelWords,
    strength: _Strength,
    rule: MatchPolicy,
) -> int:
    """0: the name contradicts the label; 1: consistent but the label misses part of
    the name's form (words, or numbers such as "(0,4 mL)"); 2: all agree both ways."""
    name_strength = index.strengths[position]
    if rule.require_strength_agreement and not _strengths_agree(
        strength, name_strength, index.head_numbers[position]
    ):
        return 0
    name_words, product_words, form_words = index.name_words(position)
    if not _covered(words.needed, name_words, pool_is_name=True):
        return 0
    if not _product_covered(product_words, words.pool):
        return 0
    if not _covered(form_words, words.pool, pool_is_name=False):
        return 1
    if rule.require_strength_agreement and strength[1] != name_strength[1]:
        return 1
    return 2


def _decide(
    index: ReferentialIndex,
    label: str,
    strength: _Strength,
    hits: list[_Hit],
    rule: MatchPolicy,
    limit: int,
) -> _Outcome:
    """Turn ranked fuzzy hits into an outcome: fuzzy, ambiguous or unmatched."""
    best_per_cis: dict[str, _Hit] = {}
    for hit in hits:
        if hit[1] >= rule.floor_score:
            best_per_cis.setdefault(index.cis[hit[0]], hit)
    if not best_per_cis:
        return None, "unmatched", 0.0, False, []
    ranked = list(best_per_cis.values())
    candidates = [(index.cis[p], index.names[p], round(s, 2)) for p, s, _ in ranked]
    best_score = ranked[0][1]
    margin = ranked[0][2] - ranked[1][2] if len(ranked) > 1 else 100.0
    words = _label_words(label, index.form_vocabulary)
    best_position = ranked[0][0]
    _, best_product, best_form = index.name_words(best_position)
    has_dosage = any(" " in t for t in strength[0])
    brand_only = (
        not has_dosage
        and bool(best_form or index.strengths[best_position][1])
        and _covered(_significant(label), best_product, pool_is_name=True)
    )
    best_level = _agreement(index, best_position, words, strength, rule)
    if best_level == 1:
        # A partial agreement is only good enough when the label says nothing
        # beyond the product name and strength (a dropped form).
        stated = any(
            not any(_same_word(w, t) for t in best_product) for w in words.stated
        )
        if stated or not rule.accept_unstated_form:
            best_level = 0
    singled_out = best_level > 0 and not any(
        _agreement(index, p, words, strength, rule) >= best_level
        for p, _, _ in ranked[1:]
    )
    ambiguous = (
        brand_only or margin < _TIE_MARGIN or (best_level > 0 and not singled_out)
    )
    accepted = (
        not ambiguous
        and singled_out
        and best_score >= rule.auto_accept_score
        and margin >= rule.min_margin
    )
    method = "ambiguous" if ambiguous else "fuzzy"
    return candidates[0][0], method, round(best_score, 2), accepted, candidates[:limit]
