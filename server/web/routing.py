"""How handlers are declared: form and upload bodies, the no-store header, and one
Router per module, tagged with its area in the OpenAPI schema."""

from __future__ import annotations

from typing import Any

from litestar import Router
from litestar.enums import RequestEncodingType
from litestar.params import Body

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
UPLOAD = Body(media_type=RequestEncodingType.MULTI_PART)
# Pages that show a secret once (a terminal's or a user's password) must not be cached.
NO_STORE = {"Cache-Control": "no-store"}


def together(*handlers: Any, tag: str) -> list[Router]:
    """A module's handlers as one Router, under the OpenAPI tag of its area.

    Litestar 2.25 registers handlers one by one and, each time one joins an existing path,
    runs `on_registration` again on the path's earlier handlers: a `sync_to_thread` handler
    is then wrapped twice and answers a coroutine (500). Registered together, each handler
    is wrapped once."""
    return [Router("/", route_handlers=list(handlers), tags=[tag])]
