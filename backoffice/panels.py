"""The base of the admin home page's dashboard panels; each app adds its own."""

from __future__ import annotations

from wagtail.admin.ui.components import Component

from backoffice.http import AuthenticatedRequest


class RequestPanel(Component):
    """A dashboard panel drawn for the user of the request."""

    def __init__(self, request: AuthenticatedRequest) -> None:
        self.request = request
