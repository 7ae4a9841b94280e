"""Family ``shortages``: declarations of shortages and risks of shortage. Its
schema (fields, vocabularies, rules) and its public sections register themselves
when this package is imported."""

from __future__ import annotations

from datasets.families.shortages import public
from datasets.families.shortages.schema import SHORTAGES

__all__ = ["SHORTAGES", "public"]
