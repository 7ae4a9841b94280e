"""The medicinal codes' rules (referential_admin.codes): one answer whether asked
about one code or a whole column."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from referential_admin.codes import (
    cip7_to_cip13,
    cip7_to_cip13_series,
    ean13_check_digit,
    ean13_valid,
    is_valid_cip7,
    is_valid_cip13,
    is_valid_cis,
    valid_cip7_mask,
    valid_cip13_mask,
    valid_cis_mask,
)

digits = st.text(alphabet="0123456789", min_size=0, max_size=14)


def test_scalar_rules_on_known_codes() -> None:
    assert ean13_check_digit("340094949729") == 4
    assert is_valid_cip13("3400949497294")
    assert not is_valid_cip13("3400949497295")
    assert not is_valid_cip13("340094949729")
    assert not is_valid_cip13(None)
    assert cip7_to_cip13("4949729") == "3400949497294"
    assert cip7_to_cip13("4949770") == "3400949497706"
    assert cip7_to_cip13("3696350") == "3400936963504"
    assert is_valid_cis("60002283")
    assert not is_valid_cis("6000228")
    assert not is_valid_cis("6000228٣")  # non-ASCII digit
    assert is_valid_cip7("4949729")
    assert not is_valid_cip7("494972")
    with pytest.raises(ValueError, match="CIP7"):
        cip7_to_cip13("494972")
    with pytest.raises(ValueError, match="EAN-13"):
        ean13_check_digit("12")


def test_column_rules_on_known_codes() -> None:
    series = pd.Series(["3400949497294", "3400949497295", None, "abc"])
    assert valid_cip13_mask(series).tolist() == [True, False, False, False]
    assert valid_cis_mask(pd.Series(["60002283", "1", None])).tolist() == [
        True,
        False,
        False,
    ]
    assert list(cip7_to_cip13_series(pd.Series(["3595583"], dtype="str"))) == [
        "3400935955838"
    ]
    assert list(
        ean13_valid(pd.Series(["3400935955838", "3400935955831"], dtype="str"))
    ) == [True, False]
    assert len(ean13_valid(pd.Series([], dtype="str"))) == 0


@given(st.lists(digits, max_size=20))
def test_column_rules_answer_as_the_scalar_rules(codes: list[str]) -> None:
    series = pd.Series(codes, dtype="str")
    assert valid_cis_mask(series).tolist() == [is_valid_cis(c) for c in codes]
    assert valid_cip7_mask(series).tolist() == [is_valid_cip7(c) for c in codes]
    assert valid_cip13_mask(series).tolist() == [is_valid_cip13(c) for c in codes]
    sevens = [c for c in codes if is_valid_cip7(c)]
    assert cip7_to_cip13_series(pd.Series(sevens, dtype="str")).tolist() == [
        cip7_to_cip13(c) for c in sevens
    ]
