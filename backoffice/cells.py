"""Safe spreadsheet cells: text that a spreadsheet would run as a formula.

A cell is formula-like when, after any leading blanks or line breaks, it starts
with ``=``, ``+``, ``-`` or ``@`` (or their full-width forms ``＝ ＋ － ＠``), or
when it starts with a tab or a carriage return. In CSV, which has no cell types,
such text gets a leading apostrophe; in XLSX the cell is written as a string,
its value unchanged. Pure: no framework import, used by every export.
"""

from __future__ import annotations

import re

#: Matches formula-like text (see the module's rule); usable with pandas' str.match.
FORMULA_PATTERN = r"^(?:[\t\r]|[\s\u00a0\u3000]*[=+\-@\uff1d\uff0b\uff0d\uff20])"
_FORMULA = re.compile(FORMULA_PATTERN)


def is_formula_like(value: object) -> bool:
    """Whether a spreadsheet would read this value as a formula."""
    return isinstance(value, str) and _FORMULA.match(value) is not None


def neutralise(value: object) -> object:
    """Formula-like text gets a leading apostrophe; other values pass."""
    if is_formula_like(value):
        return "'" + str(value)
    return value
