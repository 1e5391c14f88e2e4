"""The Prometheus metrics of every timbra process, defined once.

Several web workers are several processes: when `PROMETHEUS_MULTIPROC_DIR` is set before
this module is first imported (`timbra web` sets it for its workers), each process writes
its samples to files there and `exposition()` adds them up. Figures that live in the
database (days waiting for their recompute, stamps queued on terminals) are read when the
metrics are asked for, by the collector the caller passes, never kept per process.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)
from prometheus_client.registry import Collector

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST

REQUEST_SECONDS = Histogram(
    "timbra_http_request_duration_seconds", "Time to answer a request, by route template",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
INGEST_OUTCOMES = ("stored", "duplicates", "conflicts", "rejected")
INGEST_MESSAGES = Counter(
    "timbra_ingest_messages_total", "Stamp messages the ingest committed, by outcome",
    ["outcome"])
for _outcome in INGEST_OUTCOMES:  # present at 0 from the start, so rate() sees the first
    INGEST_MESSAGES.labels(_outcome)
ACK_SECONDS = Histogram(
    "timbra_ingest_ack_latency_seconds",
    "From a stamp's arrival at the ingest to its acknowledgement, after the commit",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0))
INBOX_DEPTH = Gauge(
    "timbra_ingest_inbox_depth", "Messages received and waiting for the ingest's writer",
    multiprocess_mode="livesum")


def multiprocess_mode() -> bool:
    return bool(os.environ.get(MULTIPROCESS_DIR))


def _process_registry() -> CollectorRegistry:
    if not multiprocess_mode():
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


def serve(host: str, port: int) -> None:
    """This process's metrics at http://host:port/ from a thread (the ingest's: it has no
    web server of its own). Bind an internal address: the endpoint asks no credentials."""
    start_http_server(port, addr=host, registry=_process_registry())


def exposition(extra: Iterable[Collector] = ()) -> bytes:
    """The text format for a scrape: this process's metrics, or all workers' when several
    processes share the multiprocess directory, then the `extra` collectors."""
    text = generate_latest(_process_registry())
    database = CollectorRegistry()
    for collector in extra:
        database.register(collector)
    return text + generate_latest(database)

