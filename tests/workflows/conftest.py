from tests.datasets.conftest import media, small_referential  # noqa: F401
