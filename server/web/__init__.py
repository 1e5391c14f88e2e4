"""The web self-service, administration pages and JSON API (Litestar). See README.md.

The app is `server.web.app.create_app`; not imported here, so a module of this package
that does not need the web stack (production_settings.py) is imported without it.
"""
