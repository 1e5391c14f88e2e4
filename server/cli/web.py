"""`timbra web`: the web pages and API for production, with several worker processes.

Settings come from the environment (server/web/production_settings.py). It never loads demo data
and never migrates: `timbra db upgrade` is its own step, and `timbra web` refuses to start
on a database whose schema is not the one its code expects.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import uvicorn

from server.cli.db import SCHEMA_REFUSED, refuse_schema
from server.db import make_engine
from server.ingest.settings import SettingsError
from server.observe.logs import configure_logging, log_format, logging_config
from server.observe.metrics import MULTIPROCESS_DIR

FACTORY = "server.web.production:app_from_environment"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "web", help="serve the web pages and API in production (settings from TIMBRA_* "
                    "environment variables; see docs/deploy.md)")
    parser.set_defaults(func=run_web)


def run_web(args: argparse.Namespace) -> int:
    # Imported when `web` runs, not when the commands register (see `run`'s).
    from server.web.production_settings import WebSettings

    try:
        settings = WebSettings.from_environment(os.environ)
        fmt = log_format(default="json")
        configure_logging(fmt)
    except (SettingsError, ValueError) as exc:
        print(f"timbra web: {exc}", file=sys.stderr)
        return 2
    # The workers make engines of their own: this one only checks, and goes.
    engine = make_engine(settings.database_url)
    try:
        refused = refuse_schema(engine, "web")
    finally:
        engine.dispose()
    if refused:
        return SCHEMA_REFUSED
    metrics_dir = _metrics_dir(settings.workers)
    try:
        uvicorn.run(FACTORY, factory=True, host=settings.host, port=settings.port,
                    workers=settings.workers, proxy_headers=True,
                    forwarded_allow_ips=settings.trusted_proxies, access_log=False,
                    log_config=logging_config(fmt), server_header=False, lifespan="on")
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0


def _metrics_dir(workers: int) -> Path | None:
    """With several workers each writes its metrics to files that /metrics adds up: a
    fresh directory per start, so a previous run's workers are not counted."""
    if workers < 2 or os.environ.get(MULTIPROCESS_DIR):
        return None
    folder = Path(tempfile.mkdtemp(prefix="timbra-metrics-"))
    os.environ[MULTIPROCESS_DIR] = str(folder)  # the spawned workers inherit it
    return folder
