"""Labelled test set for label-to-CIS matching, built from real BDPM names.

``make_labelled_set`` corrupts real speciality names the way extracts do (typos,
abbreviations, lost accents, case, word order, dosage spacing, dropped form,
brand-only names) and holds out a share of specialities so that their labels are
out of the referential. ``evaluate`` scores a ``match_labels`` result against it.

Run ``python -m bench.labelled_set [-n 20000] [--seed 0]`` to print one JSON line of
figures (BDPM files from ``$DATAMED_SHARED_DIR/data/real/bdpm``, default
``../shared``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from referential_admin.matching import (
    ReferentialIndex,
    match_labels,
    normalise_label,
    normalise_series,
)


def _shared_dir() -> Path:
    override = os.environ.get("DATAMED_SHARED_DIR")
    return (
        Path(override) if override else Path(__file__).resolve().parents[2] / "shared"
    )


BDPM_DIR = _shared_dir() / "data" / "real" / "bdpm"

IN_REFERENTIAL_WEIGHTS: dict[str, float] = {
    "clean": 0.10,
    "case_accents": 0.12,
    "typo": 0.16,
    "abbreviation": 0.14,
    "dosage_spacing": 0.10,
    "reorder": 0.10,
    "dropped_form": 0.08,
    "mixed": 0.20,
}
BRAND_ONLY_SHARE = 0.05

_ABBREVIATIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("solution injectable", ("sol inj", "sol. inj.", "sol inj.", "inj")),
    ("solution buvable", ("sol buv", "sol. buv.", "sol buvable")),
    ("à libération prolongée", ("LP", "L.P.")),
    ("pour perfusion", ("pr perf", "perf")),
    ("comprimé", ("cp", "cpr", "comp", "cp.", "CPR", "cpr.")),
    ("pelliculé", ("pell", "pellic", "pell.")),
    ("sécable", ("séc", "secab", "séc.")),
    ("gélule", ("gél", "gél.", "gelu")),
    ("suspension", ("susp", "susp.")),
    ("poudre", ("pdre", "pdr")),
    ("effervescent", ("eff", "efferv")),
    ("orodispersible", ("orodisp",)),
    ("microgrammes", ("µg", "mcg", "microg")),
    ("gastro-résistant", ("gastro-rés", "GR")),
    ("capsule", ("caps",)),
    ("pommade", ("pom",)),
    ("suppositoire", ("suppo", "supp")),
    ("flacon", ("fl", "flac")),
    ("ampoule", ("amp",)),
    ("sachet", ("sach",)),
    ("pré-remplie", ("préremplie", "PR")),
)

_NEIGHBOURS = {
    "a": "zqs",
    "z": "aes",
    "e": "zrd",
    "r": "etf",
    "t": "ryg",
    "y": "tuh",
    "u": "yij",
    "i": "uok",
    "o": "ipl",
    "p": "om",
    "q": "asw",
    "s": "qdz",
    "d": "sfe",
    "f": "dgr",
    "g": "fht",
    "h": "gjy",
    "j": "hku",
    "k": "jli",
    "l": "kmo",
    "m": "lp",
    "w": "xq",
    "x": "wc",
    "c": "xv",
    "v": "cb",
    "b": "vn",
    "n": "b",
}

_DOSAGE = re.compile(r"\d\s*(?:mg|g|ml|%|ui|microgrammes)\b", re.IGNORECASE)
_NUMBER_UNIT = re.compile(r"(\d+(?:[ ,.]\d+)?)\s?(mg|g|microgrammes|UI|ml|mL|%)\b")


def read_specialities(path: Path = BDPM_DIR / "CIS_bdpm.txt") -> pd.DataFrame:
    """Read CIS_bdpm.txt (cp1252, TAB, no header) as columns cis, name, form."""
    frame = pd.read_csv(
        path, sep="\t", header=None, encoding="cp1252", dtype=str, quoting=3
    )
    out = frame[[0, 1, 2]].set_axis(["cis", "name", "form"], axis=1)
    for column in out.columns:
        out[column] = out[column].str.strip()
    return out


def read_presentations(path: Path = BDPM_DIR / "CIS_CIP_bdpm.txt") -> pd.DataFrame:
    """Read CIS_CIP_bdpm.txt (UTF-8, TAB, no header) as columns cis, cip7, cip13."""
    frame = pd.read_csv(
        path, sep="\t", header=None, encoding="utf-8", dtype=str, quoting=3
    )
    return frame[[0, 1, 6]].set_axis(["cis", "cip7", "cip13"], axis=1)


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _split_name(name: str) -> tuple[str, str, str]:
    """Split "PRODUCT strength, form" into its three parts (any may be empty).

    The form starts at the first comma followed by a letter; the strength at the
    first number preceded by a space or "(", before the form.
    """
    parts = re.split(r",\s*(?=[^\W\d_])", name, maxsplit=1)
    head, form = (parts[0], parts[1]) if len(parts) > 1 else (name, "")
    match = re.search(r"(?:^|[\s(])\d", head)
    if match is None:
        return head.strip(" ,"), "", form.strip()
    product = head[: match.start()].strip(" ,")
    return product, head[match.start() :].strip(" ,"), form.strip()


def _case_accents(name: str, rng: random.Random) -> str | None:
    text = _strip_accents(name) if rng.random() < 0.8 else name
    style = rng.choice(("lower", "upper", "title", "keep"))
    if style == "lower":
        text = text.lower()
    elif style == "upper":
        text = text.upper()
    elif style == "title":
        text = text.title()
    if rng.random() < 0.5:
        text = text.replace(", ", " ")
    return text if text != name else text.lower()


def _typo(name: str, rng: random.Random, edits: int | None = None) -> str | None:
    chars = list(name)
    for _ in range(edits or rng.choice((1, 1, 2))):
        letters = [i for i, ch in enumerate(chars) if ch.isalpha()]
        if len(letters) < 4:
            return None
        i = rng.choice(letters)
        op = rng.choice(("swap", "drop", "substitute", "insert"))
        if op == "swap" and i + 1 < len(chars) and chars[i + 1].isalpha():
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        elif op == "drop":
            del chars[i]
        elif op == "insert":
            chars.insert(i, chars[i])
        else:
            lower = _strip_accents(chars[i]).lower()
            new = rng.choice(_NEIGHBOURS.get(lower, "aeiou"))
            chars[i] = new.upper() if chars[i].isupper() else new
    text = "".join(chars)
    return text if text != name else None


def _abbreviation(name: str, rng: random.Random) -> str | None:
    text = name
    for long, shorts in _ABBREVIATIONS:
        if re.search(long, text, flags=re.IGNORECASE) and rng.random() < 0.75:
            short = rng.choice(shorts)
            text = re.sub(long, short, text, count=1, flags=re.IGNORECASE)
    return text if text != name else None


def _dosage_spacing(name: str, rng: random.Random) -> str | None:
    def respace(match: re.Match[str]) -> str:
        number, unit = match.group(1), match.group(2)
        options = [f"{number}{unit}", f"{number} {unit.upper()}"]
        digits = number.replace(" ", "")
        if digits.isdigit() and len(digits) >= 4:
            options.append(f"{int(digits):,} {unit}".replace(",", " "))
            options.append(f"{digits}{unit}")
        if "," in number:
            options.append(f"{number.replace(',', '.')} {unit}")
            options.append(f"{number.replace(',', '.')}{unit}")
        if unit == "g" and digits.isdigit():
            options.append(f"{int(digits) * 1000} mg")
            options.append(f"{digits}g")
        if unit == "microgrammes":
            options.extend((f"{number} µg", f"{number}mcg"))
        return rng.choice(options)

    text = _NUMBER_UNIT.sub(respace, name)
    if "/" in text and rng.random() < 0.3:
        text = text.replace("/", " / ")
    return text if text != name else None


def _reorder(name: str, rng: random.Random) -> str | None:
    product, strength, form = _split_name(name)
    words = product.split()
    options: list[str] = []
    if strength and form:
        options.append(f"{product} {form} {strength}")
        options.append(f"{product}, {form}, {strength}")
    if len(words) >= 2:
        swapped = " ".join([words[1], words[0], *words[2:]])
        options.append(f"{swapped} {strength}, {form}".replace(" ,", ",").strip(", "))
    if form:
        options.append(f"{form} {product} {strength}".strip())
    if not options:
        return None
    text = re.sub(r"\s+", " ", rng.choice(options)).strip()
    return text if text != name else None


def _dropped_form(name: str, rng: random.Random) -> str | None:
    """Drop the form; only for names with a strength (else it is brand-only)."""
    product, strength, form = _split_name(name)
    if not form or not strength:
        return None
    return f"{product} {strength}"


def _mixed(name: str, rng: random.Random) -> str | None:
    steps: list[Callable[[str, random.Random], str | None]] = [
        _case_accents,
        lambda text, r: _typo(text, r, edits=1),
        _abbreviation,
        _dosage_spacing,
        _reorder,
    ]
    text = name
    applied = 0
    for step in rng.sample(steps, rng.choice((2, 3))):
        result = step(text, rng)
        if result is not None:
            text = result
            applied += 1
    return text if applied >= 2 and text != name else None


CORRUPTIONS: dict[str, Callable[[str, random.Random], str | None]] = {
    "clean": lambda name, rng: name,
    "case_accents": _case_accents,
    "typo": _typo,
    "abbreviation": _abbreviation,
    "dosage_spacing": _dosage_spacing,
    "reorder": _reorder,
    "dropped_form": _dropped_form,
    "mixed": _mixed,
}


def held_out_cis(specialities: pd.DataFrame, seed: int, share: float) -> list[str]:
    """Return the CIS codes kept out of the index for a given seed and share."""
    codes = sorted(set(specialities["cis"].astype(str)))
    return sorted(random.Random(seed).sample(codes, round(len(codes) * share)))


def indexed_specialities(
    specialities: pd.DataFrame, labelled: pd.DataFrame
) -> pd.DataFrame:
    """Return the specialities the index must be built from (hold-outs removed)."""
    held = set(labelled.attrs.get("held_out_cis", []))
    return specialities[~specialities["cis"].astype(str).isin(held)].reset_index(
        drop=True
    )


def _corrupt(name: str, kind: str, rng: random.Random) -> tuple[str, str]:
    """Apply ``kind``; if it does not apply to this name, fall back to another."""
    result = CORRUPTIONS[kind](name, rng)
    if result is not None:
        return result, kind
    for fallback in ("typo", "case_accents", "clean"):
        result = CORRUPTIONS[fallback](name, rng)
        if result is not None:
            return result, fallback
    return name, "clean"


def make_labelled_set(
    specialities: pd.DataFrame,
    n: int,
    seed: int,
    out_of_referential_share: float = 0.05,
) -> pd.DataFrame:
    """Build ``n`` labelled labels from real names (deterministic for a seed).

    Columns: label, true_cis (None for brand-only and out-of-referential labels:
    they must not be auto-accepted), corruption, detail (the corruption applied to
    an out-of-referential name), source_cis, source_name. The held-out CIS are in
    ``attrs["held_out_cis"]`` (see ``indexed_specialities``). A product-only label
    that is a full referential name or states its own form is not brand-only and
    is skipped; a dropped form needs a strength (else the label is brand-only).
    """
    rng = random.Random(seed)
    held = held_out_cis(specialities, seed, out_of_referential_share)
    held_set = set(held)
    frame = specialities.assign(cis=specialities["cis"].astype(str))
    inside = frame[~frame["cis"].isin(held_set)]
    outside = frame[frame["cis"].isin(held_set)]
    inside_rows = list(zip(inside["cis"], inside["name"], strict=True))
    outside_rows = list(zip(outside["cis"], outside["name"], strict=True))
    full_names = set(normalise_series(inside["name"]).tolist())
    kinds = list(IN_REFERENTIAL_WEIGHTS)
    weights = list(IN_REFERENTIAL_WEIGHTS.values())

    records: list[dict[str, Any]] = []
    while len(records) < n:
        draw = rng.random()
        if draw < out_of_referential_share and outside_rows:
            cis, name = rng.choice(outside_rows)
            label, kind = _corrupt(name, rng.choices(kinds, weights)[0], rng)
            records.append(_record(label, None, "out_of_referential", kind, cis, name))
        elif draw < out_of_referential_share + BRAND_ONLY_SHARE:
            cis, name = rng.choice(inside_rows)
            product, _, form = _split_name(name)
            label = product.split()[0] if rng.random() < 0.3 and product else product
            label = label.lower() if rng.random() < 0.3 else label
            if not label or _names_itself(label, form, full_names):
                continue
            if _DOSAGE.search(label):  # "CRISTERS10 mg": no space before the number
                continue
            records.append(_record(label, None, "brand_only", "brand_only", cis, name))
        else:
            cis, name = rng.choice(inside_rows)
            label, kind = _corrupt(name, rng.choices(kinds, weights)[0], rng)
            records.append(_record(label, cis, kind, kind, cis, name))
    labelled = pd.DataFrame.from_records(records)
    labelled["true_cis"] = labelled["true_cis"].astype(object)
    labelled.attrs["held_out_cis"] = held
    return labelled


def _names_itself(label: str, form: str, full_names: set[str]) -> bool:
    """True when a product-only label still names one speciality: it is a full
    referential name, or it already states its own form ("SUPPOSITOIRE A LA
    GLYCERINE ..."). Such labels are not brand-only."""
    normalised = normalise_label(label)
    form_words = set(normalise_label(form).split()) - _FORM_STOP_WORDS
    return normalised in full_names or bool(form_words & set(normalised.split()))


_FORM_STOP_WORDS = frozenset("a au aux de des du en et l la le les ou pour".split())


def _record(
    label: str,
    true_cis: str | None,
    corruption: str,
    detail: str,
    source_cis: str,
    name: str,
) -> dict[str, Any]:
    return {
        "label": label,
        "true_cis": true_cis,
        "corruption": corruption,
        "detail": detail,
        "source_cis": source_cis,
        "source_name": name,
    }


def evaluate(result: pd.DataFrame, truth: pd.DataFrame) -> dict[str, Any]:
    """Score a ``match_labels`` result against ``make_labelled_set`` rows (same order).

    A prediction is correct when its CIS is the true one or its name is identical to
    the true name after normalisation (the BDPM repeats some names, e.g. parallel
    imports). Any auto-accept of a brand-only or out-of-referential label is an error
    unless it names an identical speciality.
    """
    predicted_name = [
        next((c[1] for c in cands if c[0] == cis), None) if cis else None
        for cis, cands in zip(result["cis"], result["candidates"], strict=True)
    ]
    same_name = normalise_series(pd.Series(predicted_name, dtype=object)).to_numpy()
    true_name = normalise_series(truth["source_name"].reset_index(drop=True)).to_numpy()
    has_prediction = result["cis"].notna().to_numpy()
    name_ok = has_prediction & (same_name == true_name)
    cis_ok = (result["cis"].to_numpy() == truth["true_cis"].to_numpy()) & has_prediction
    kind = truth["corruption"].to_numpy()
    brand_only = kind == "brand_only"
    correct = (cis_ok | name_ok) & ~brand_only
    auto = result["auto_accepted"].to_numpy(dtype=bool)
    in_ref = truth["true_cis"].notna().to_numpy()
    out_ref = kind == "out_of_referential"

    def share(mask: Any, among: Any) -> float | None:
        total = int(among.sum())
        return round(float((mask & among).sum()) / total, 4) if total else None

    per_corruption: dict[str, dict[str, float | int | None]] = {}
    for name in sorted(set(kind)):
        rows = kind == name
        per_corruption[name] = {
            "n": int(rows.sum()),
            "top1": share(correct, rows) if name in IN_REFERENTIAL_WEIGHTS else None,
            "auto_rate": share(auto, rows),
            "auto_precision": share(correct, auto & rows),
        }
    return {
        "n": len(truth),
        "top1": share(correct, in_ref),
        "auto_precision": share(correct, auto),
        "auto_rate": round(float(auto.mean()), 4) if len(auto) else None,
        "auto_errors": int((auto & ~correct).sum()),
        "out_of_referential_auto_accepted": share(auto & ~correct, out_ref),
        "brand_only_auto_accepted": share(auto, brand_only),
        "per_corruption": per_corruption,
    }


def run(n: int = 20_000, seed: int = 0) -> dict[str, Any]:
    """Build the index from the shared BDPM files, match ``n`` labels, give figures."""
    specialities = read_specialities()
    presentations = read_presentations()
    labelled = make_labelled_set(specialities, n, seed)
    kept = indexed_specialities(specialities, labelled)
    start = time.perf_counter()
    index = ReferentialIndex.build(kept, presentations)
    build_s = time.perf_counter() - start
    start = time.perf_counter()
    result = match_labels(index, labelled["label"].tolist())
    match_s = time.perf_counter() - start
    figures = evaluate(result, labelled)
    return {
        "labels": n,
        "distinct_labels": int(labelled["label"].nunique()),
        "build_s": round(build_s, 3),
        "match_s": round(match_s, 3),
        "labels_per_s": round(n / match_s),
        **figures,
    }


def main(argv: list[str] | None = None) -> None:
    """Print one JSON line with labels_per_s, top1, auto_precision, auto_rate..."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    sys.stdout.write(json.dumps(run(args.n, args.seed)) + "\n")


if __name__ == "__main__":
    main()
