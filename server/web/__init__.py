"""The web self-service, administration pages and JSON API (Litestar). See README.md."""

from server.web.app import create_app

__all__ = ["create_app"]
