"""ASGI entry point."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings.dev")

application = get_asgi_application()

# Production refuses to start while a demo account (public password) exists.
from backoffice.services import refuse_demo_accounts  # noqa: E402

refuse_demo_accounts()
