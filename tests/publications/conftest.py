from tests.datasets.conftest import media, small_referential  # noqa: F401
from tests.workflows.conftest import team  # noqa: F401
