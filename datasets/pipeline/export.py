"""Safe spreadsheet cells: the rule of ``backoffice.cells``, for the pipeline's
exports (quality workbook, cleaned data)."""

from __future__ import annotations

from backoffice.cells import FORMULA_PATTERN, is_formula_like, neutralise

__all__ = ["FORMULA_PATTERN", "is_formula_like", "neutralise"]
