"""`timbra ingest`: run the ingest service in the foreground until stopped."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from typing import Any

from server.db import make_engine, upgrade
from server.ingest.service import IngestService
from server.ingest.settings import BrokerSettings, SettingsError

DEFAULT_DATABASE = "sqlite:///timbra-data/timbra.db"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("ingest", help="store stamps arriving from terminals over MQTT")
    parser.add_argument("--database", default=None,
                        help="SQLAlchemy URL (default: $TIMBRA_DATABASE_URL or SQLite)")
    parser.add_argument("--mqtt", default=None,
                        help="broker URL, e.g. mqtt://user:pass@127.0.0.1:1883?protocol=5 "
                             "(default: $TIMBRA_MQTT_URL)")
    parser.add_argument("--client-id", default=None, help="MQTT client id (default timbra-ingest)")
    parser.set_defaults(func=run_ingest)


def database_url(given: str | None) -> str:
    return given or os.environ.get("TIMBRA_DATABASE_URL") or DEFAULT_DATABASE


def run_ingest(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    url = args.mqtt or os.environ.get("TIMBRA_MQTT_URL")
    if not url:
        print("timbra ingest: give --mqtt URL or set TIMBRA_MQTT_URL", file=sys.stderr)
        return 2
    try:
        broker = BrokerSettings.from_url(url)
    except SettingsError as exc:
        print(f"timbra ingest: {exc}", file=sys.stderr)
        return 2
    if args.client_id:
        broker = BrokerSettings(**{**vars(broker), "client_id": args.client_id})
    engine = make_engine(database_url(args.database))
    upgrade(engine)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    with IngestService(engine, broker) as service:
        # "listening" only once subscribed: a first session gets nothing published before.
        while not service.connected.wait(5):
            if stop.is_set():
                return 1
            print(f"timbra ingest: waiting for the broker at {broker.redacted()}", flush=True)
        print(f"timbra ingest: listening on {broker.redacted()}", flush=True)
        while not stop.wait(10):
            logging.getLogger("timbra.ingest").info("%s", service.stats)
    return 0
