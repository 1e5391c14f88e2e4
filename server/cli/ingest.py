"""`timbra ingest`: run the ingest service in the foreground until stopped; `timbra
recompute`: the day results' worker. Neither migrates: several of them may start at once,
so each refuses a schema `timbra db upgrade` has not brought to this version's."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import signal
import subprocess
import sys
import threading
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import make_url

from server.cli.db import SCHEMA_REFUSED, refuse_schema
from server.days.worker import Recomputer
from server.db import make_engine
from server.ingest.service import IngestService
from server.ingest.settings import BrokerSettings, SettingsError
from server.observe.logs import configure_logging, log_format
from server.observe.metrics import serve as serve_metrics
from server.settings import database_url as default_database_url


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("ingest", help="store stamps arriving from terminals over MQTT")
    parser.add_argument("--database", default=None,
                        help="SQLAlchemy URL (default: $TIMBRA_DATABASE_URL or SQLite)")
    parser.add_argument("--mqtt", default=None,
                        help="broker URL, e.g. mqtt://user:pass@127.0.0.1:1883?protocol=5 "
                             "(default: $TIMBRA_MQTT_URL)")
    parser.add_argument("--client-id", default=None,
                        help="MQTT client id (default timbra-ingest); with --share, the "
                             "prefix of this process's own id")
    parser.add_argument("--share", default=None, metavar="GROUP",
                        help="split the stamps with the other ingests of GROUP through an "
                             "MQTT 5 shared subscription (PostgreSQL only; or share=GROUP "
                             "in the broker URL)")
    parser.add_argument("--recompute", choices=("auto", "process", "thread", "none"),
                        default="auto",
                        help="keep day results current in a thread of this process, a "
                             "process of their own, or not here (a `timbra recompute` "
                             "service does); auto: a thread on SQLite (one writer), a "
                             "process on PostgreSQL, none with --share")
    parser.add_argument("--metrics-bind", default=None, metavar="HOST:PORT",
                        help="serve Prometheus metrics there (default: "
                             "$TIMBRA_INGEST_METRICS_BIND; unset: none); an internal address")
    parser.set_defaults(func=run_ingest)
    worker = subparsers.add_parser("recompute", help="keep day results current (one worker "
                                                     "works at a time; timbra ingest starts "
                                                     "one on PostgreSQL unless --share)")
    worker.add_argument("--database", default=None)
    worker.add_argument("--parent-pid", type=int, default=None,
                        help="exit when this process is gone")
    worker.set_defaults(func=run_recompute)


def database_url(given: str | None) -> str:
    return given or default_database_url()


def _on_signals(stop: threading.Event) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())


def run_recompute(args: argparse.Namespace) -> int:
    try:
        configure_logging(log_format())
    except ValueError as exc:
        print(f"timbra recompute: {exc}", file=sys.stderr)
        return 2
    engine = make_engine(database_url(args.database))
    if refuse_schema(engine, "recompute"):
        engine.dispose()
        return SCHEMA_REFUSED
    stop = threading.Event()
    _on_signals(stop)
    parent = args.parent_pid
    recomputer = Recomputer(engine, lambda: datetime.now(UTC))
    # An ingest killed with SIGKILL cannot stop us: notice that its pid is gone. During a
    # burst we wait, as the ingest's own recompute thread does: the CPU goes to the acks.
    recomputer.loop(stop, alive=lambda: parent is None or os.getppid() == parent,
                    busy=recomputer.stamps_arriving)
    return 0


def run_ingest(args: argparse.Namespace) -> int:
    url = args.mqtt or os.environ.get("TIMBRA_MQTT_URL")
    if not url:
        print("timbra ingest: give --mqtt URL or set TIMBRA_MQTT_URL", file=sys.stderr)
        return 2
    try:
        configure_logging(log_format())
        broker = _options(BrokerSettings.from_url(url), args)
        _serve_metrics(args.metrics_bind or os.environ.get("TIMBRA_INGEST_METRICS_BIND"))
    except (SettingsError, ValueError) as exc:
        print(f"timbra ingest: {exc}", file=sys.stderr)
        return 2
    database = database_url(args.database)
    # Refused before the engine exists: making one creates the SQLite file.
    if broker.shared and make_url(database).get_backend_name() == "sqlite":
        print("timbra ingest: shared subscriptions (--share) need PostgreSQL: SQLite has one "
              "writer, so run a single ingest without --share", file=sys.stderr)
        return 2
    engine = make_engine(database)
    if refuse_schema(engine, "ingest"):
        engine.dispose()
        return SCHEMA_REFUSED
    stop = threading.Event()
    _on_signals(stop)
    worker = None
    mode = args.recompute
    if mode == "auto":
        # Shared: several ingests, one recompute service beside them (`timbra recompute`,
        # one or more: one works at a time), not one worker per ingest.
        mode = ("thread" if engine.dialect.name == "sqlite"
                else "none" if broker.shared else "process")
    if mode == "process":
        # The URL goes by environment, not argv: argv is visible to every local user.
        worker = subprocess.Popen(
            [sys.executable, "-m", "server.cli.main", "recompute",
             "--parent-pid", str(os.getpid())],
            env={**os.environ, "TIMBRA_DATABASE_URL": database})
    try:
        return _serve(engine, broker, stop, in_thread=mode == "thread")
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(15)


def _serve_metrics(bind: str | None) -> None:
    if not bind:
        return
    host, _, port = bind.rpartition(":")
    if not host or not port.isdigit():
        raise SettingsError(f"metrics bind must be HOST:PORT, not {bind!r}")
    try:
        serve_metrics(host.strip("[]"), int(port))
    except OSError as exc:
        raise SettingsError(f"cannot serve metrics on {bind}: {exc.strerror}") from None


def _options(broker: BrokerSettings, args: argparse.Namespace) -> BrokerSettings:
    """The broker URL's settings with the command line's on top."""
    if args.client_id:
        broker = replace(broker, client_id=args.client_id)
    if args.share:
        broker = replace(broker, share_group=args.share)
    return broker


def _serve(engine: Any, broker: BrokerSettings, stop: threading.Event, in_thread: bool) -> int:
    with IngestService(engine, broker, recompute=in_thread) as service:
        # "listening" only once subscribed: a first session gets nothing published before.
        while not service.connected.wait(5):
            if stop.is_set():
                return 1
            print(f"timbra ingest: waiting for the broker at {broker.redacted()}", flush=True)
        print(f"timbra ingest: listening on {broker.redacted()}", flush=True)
        # Everything loaded so far (rules, mappings, modules) lives as long as the process:
        # keep it out of the cyclic collector, whose full passes over it stall acks.
        gc.freeze()
        while not stop.wait(10):
            logging.getLogger("timbra.ingest").info("%s", service.stats)
    # After the writer has stopped: the totals of the whole run.
    logging.getLogger("timbra.ingest").info("stopped: %s", service.stats)
    return 0
