"""The base of the admin home page's dashboard panels; each app adds its own."""

from __future__ import annotations

from django.http import HttpRequest
from wagtail.admin.ui.components import Component


class RequestPanel(Component):
    """A dashboard panel drawn for the user of the request."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
