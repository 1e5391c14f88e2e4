"""The web app a phone installs: its manifest (name, icons, theme colour) and the
accessibility statement every page's footer links to.

Both are public: a browser fetches the manifest without the session cookie, and the
statement must be readable before logging in. The manifest speaks Italian unless the
language cookie says otherwise.
"""

from __future__ import annotations

from litestar import Response, get
from litestar.response import Template

from server.i18n.current import N_, current_locale, gettext
from server.web.guards import PUBLIC
from server.web.routing import together

MANIFEST_TYPE = "application/manifest+json"
THEME_COLOUR = "#0b5cad"  # the accent of timbra.css, the colour of the icons
BACKGROUND = "#f6f7f9"
ICON_SIZES = (192, 512)
APP_NAME = N_("timbra — time and attendance")


@get("/manifest.webmanifest", opt=PUBLIC, include_in_schema=False, sync_to_thread=False)
def manifest() -> Response[dict[str, object]]:
    """The Web App Manifest: what a phone's "add to home screen" installs."""
    return Response({
        "name": gettext(APP_NAME), "short_name": "timbra", "lang": current_locale(),
        "start_url": "/", "scope": "/", "display": "standalone",
        "theme_color": THEME_COLOUR, "background_color": BACKGROUND,
        "icons": [{"src": f"/static/icons/timbra-{size}.png", "sizes": f"{size}x{size}",
                   "type": "image/png", "purpose": "any"} for size in ICON_SIZES],
    }, media_type=MANIFEST_TYPE, headers={"Cache-Control": "max-age=3600"})


@get("/accessibility", opt=PUBLIC, include_in_schema=False, sync_to_thread=False)
def accessibility_statement() -> Template:
    """Dichiarazione di accessibilità: what is checked, how, and what is known not to be."""
    return Template("accessibility.html")


ROUTES = together(manifest, accessibility_statement, tag="Web app")
