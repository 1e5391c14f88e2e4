"""Every route of the web app, one module per area; `create_app` mounts `ROUTE_HANDLERS`.

To add an area: write `server/web/routes/<area>.py` with a `ROUTES` list and add it below.
"""

from __future__ import annotations

from typing import Any

from server.web.routes import auth, home, timecard

ROUTE_HANDLERS: list[Any] = [*auth.ROUTES, *home.ROUTES, *timecard.ROUTES]
