"""The formula rule shared by every export (``backoffice.cells``)."""

from __future__ import annotations

import pytest

from backoffice.cells import is_formula_like, neutralise


@pytest.mark.parametrize(
    "value",
    [
        "=1+1",
        "+33 1",
        "-2",
        "@SUM(A1)",
        "\tx",
        "\rx",
        ' =HYPERLINK("http://x")',
        "\n=1",
        "\r\n  @x",
        "\u00a0=1",
        "\uff1dHYPERLINK(1)",  # full-width equals sign
        "  \uff0b1",
    ],
)
def test_formula_like_text_gets_an_apostrophe(value: str) -> None:
    assert is_formula_like(value)
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["Doliprane", "a=b", "", "1 000", None, 12, 1.5])
def test_other_values_pass_unchanged(value: object) -> None:
    assert not is_formula_like(value)
    assert neutralise(value) == value
