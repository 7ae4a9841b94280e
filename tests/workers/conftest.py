"""Fixtures of the apps whose jobs the real-worker tests run."""

from tests.datasets.conftest import real_shortages  # noqa: F401
