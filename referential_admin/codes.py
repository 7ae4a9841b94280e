"""The medicinal codes' rules, in one place for the BDPM reader, the datasets
pipeline and matching: CIS (8 digits), CIP7 (7 digits) and CIP13 (13 digits
ending with an EAN-13 check digit; a CIP7 is the CIP13 ``34009`` + CIP7 + key).

Pure: standard library, NumPy and pandas only. Each rule has a scalar form and a
vectorised one that computes the same answer on a whole column.
"""

from __future__ import annotations

import re
from typing import Final

import numpy as np
import pandas as pd

CIP13_PREFIX: Final[str] = "34009"
CIS_PATTERN: Final[str] = r"[0-9]{8}"
CIP7_PATTERN: Final[str] = r"[0-9]{7}"
CIP13_PATTERN: Final[str] = r"[0-9]{13}"

#: Weights of the 12 first digits in the EAN-13 checksum.
_EAN13_WEIGHTS: Final[np.ndarray] = np.array([1, 3] * 6, dtype=np.int64)
#: dtype of the masks' input: Arrow-backed strings, missing value ``pd.NA``.
_STRING_DTYPE: Final = pd.StringDtype(storage="pyarrow")


def ean13_check_digit(first12: str) -> int:
    """The EAN-13 check digit of a 12-digit string; ValueError otherwise."""
    if re.fullmatch(r"[0-9]{12}", first12) is None:
        raise ValueError(
            f"12 chiffres attendus pour calculer la clé EAN-13 : « {first12} »"
        )
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return (10 - total % 10) % 10


def is_valid_cis(code: object) -> bool:
    """True if ``code`` is a string of exactly 8 ASCII digits."""
    return isinstance(code, str) and re.fullmatch(CIS_PATTERN, code) is not None


def is_valid_cip7(code: object) -> bool:
    """True if ``code`` is a string of exactly 7 ASCII digits."""
    return isinstance(code, str) and re.fullmatch(CIP7_PATTERN, code) is not None


def is_valid_cip13(code: object) -> bool:
    """True if ``code`` is 13 ASCII digits with a correct EAN-13 check digit."""
    if not isinstance(code, str) or re.fullmatch(CIP13_PATTERN, code) is None:
        return False
    return ean13_check_digit(code[:12]) == int(code[12])


def cip7_to_cip13(cip7: str) -> str:
    """The CIP13 of a CIP7: ``34009`` + CIP7 + EAN-13 check digit; ValueError
    for anything but 7 digits."""
    if not is_valid_cip7(cip7):
        raise ValueError(f"Code CIP7 invalide « {cip7} » : 7 chiffres attendus")
    first12 = CIP13_PREFIX + cip7
    return f"{first12}{ean13_check_digit(first12)}"


def _digit_matrix(codes: pd.Series | np.ndarray, width: int) -> np.ndarray:
    """One row of digits per code; every code must be ``width`` ASCII digits."""
    values = codes.tolist() if isinstance(codes, np.ndarray) else codes.astype(str)
    joined = "".join(values if isinstance(values, list) else values.tolist())
    matrix = np.frombuffer(joined.encode("ascii"), dtype=np.uint8).reshape(-1, width)
    return matrix.astype(np.int64) - 48


def ean13_valid(codes: pd.Series | np.ndarray) -> np.ndarray:
    """Whether 13-digit strings carry a correct EAN-13 check digit (vectorised
    ``is_valid_cip13``; every code must already be 13 ASCII digits)."""
    if not len(codes):
        return np.zeros(0, dtype=bool)
    digits = _digit_matrix(codes, 13)
    expected = (10 - (digits[:, :12] @ _EAN13_WEIGHTS) % 10) % 10
    return np.asarray(expected == digits[:, 12])


def cip7_to_cip13_series(codes: pd.Series) -> pd.Series:
    """Vectorised ``cip7_to_cip13`` of 7-digit CIP codes (``str`` series)."""
    stems = CIP13_PREFIX + codes.astype("str")
    if not len(stems):
        return stems
    check = (10 - (_digit_matrix(stems, 12) @ _EAN13_WEIGHTS) % 10) % 10
    return stems + pd.Series(check.astype(str), index=codes.index, dtype="str")


def _as_string_series(series: pd.Series) -> pd.Series:
    """``series`` as a pandas string series (no copy if already one)."""
    if isinstance(series.dtype, pd.StringDtype) and series.dtype.na_value is pd.NA:
        return series
    return series.astype(_STRING_DTYPE)


def _fullmatch_mask(series: pd.Series, pattern: str) -> np.ndarray:
    """Whether each value fully matches ``pattern`` (missing: False)."""
    matched = _as_string_series(series).str.fullmatch(pattern)
    return matched.fillna(False).to_numpy(dtype=bool)


def valid_cis_mask(series: pd.Series) -> pd.Series:
    """Vectorised ``is_valid_cis`` (missing: False)."""
    return pd.Series(_fullmatch_mask(series, CIS_PATTERN), index=series.index)


def valid_cip7_mask(series: pd.Series) -> pd.Series:
    """Vectorised ``is_valid_cip7`` (missing: False)."""
    return pd.Series(_fullmatch_mask(series, CIP7_PATTERN), index=series.index)


def valid_cip13_mask(series: pd.Series) -> pd.Series:
    """Vectorised ``is_valid_cip13`` (missing: False)."""
    shape_ok = _fullmatch_mask(series, CIP13_PATTERN)
    result = shape_ok.copy()
    codes = _as_string_series(series).to_numpy(dtype=object, na_value="")[shape_ok]
    result[shape_ok] = ean13_valid(codes)
    return pd.Series(result, index=series.index)
