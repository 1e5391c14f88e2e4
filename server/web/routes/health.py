"""For the machines that run timbra: `/healthz` (the process answers), `/readyz` (it can
work: database and broker) and `/metrics` (Prometheus).

The first two answer anyone, and say nothing but a word per check. `/metrics` names
routes and volumes, so it wants `Authorization: Bearer <TIMBRA_METRICS_TOKEN>`; without a
token configured it does not exist (404), so an installation exposes nothing by default.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from datetime import UTC, datetime

from litestar import MediaType, Request, Response, get
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from server.db.models import DirtyDay, Terminal
from server.i18n.current import gettext
from server.observe.metrics import CONTENT_TYPE, exposition
from server.web.guards import PUBLIC
from server.web.readiness import OK, broker_check, database_check
from server.web.scope import NOT_FOUND


@get("/healthz", opt=PUBLIC, include_in_schema=False, sync_to_thread=False,
     media_type=MediaType.JSON)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@get("/readyz", opt=PUBLIC, include_in_schema=False, sync_to_thread=True)
def readyz(state: State) -> Response[dict[str, object]]:
    checks = {"database": database_check(state.engine, state.schema_head),
              "broker": broker_check(state.broker)}
    ready = all(result in (OK, "not configured") for result in checks.values())
    return Response({"status": "ready" if ready else "not ready", "checks": checks},
                    status_code=200 if ready else 503, media_type=MediaType.JSON)


@get("/metrics", opt=PUBLIC, include_in_schema=False, sync_to_thread=True)
def metrics(request: Request[object, object, State], state: State) -> Response[bytes]:
    token: str | None = state.metrics_token
    if not token:
        raise NotFoundException(gettext(NOT_FOUND))
    given = request.headers.get("authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return Response(b"metrics need the bearer token\n", status_code=401,
                        media_type=MediaType.TEXT,
                        headers={"www-authenticate": 'Bearer realm="timbra-metrics"'})
    return Response(exposition([DatabaseFigures(state.engine)]), media_type=CONTENT_TYPE)


class DatabaseFigures(Collector):
    """Backlogs that live in the database, the same whichever process is asked."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with Session(self.engine) as session:
            dirty, oldest = session.execute(
                select(func.count(), func.min(DirtyDay.marked_at))).one()
            queued = session.scalar(select(func.coalesce(func.sum(Terminal.queued), 0)))
            by_status = session.execute(
                select(Terminal.status, func.count()).group_by(Terminal.status)).all()
        yield GaugeMetricFamily("timbra_recompute_backlog_days",
                                "Employee-days whose result waits for the recompute", dirty)
        age = (datetime.now(UTC) - oldest.replace(tzinfo=UTC)).total_seconds() if oldest else 0
        yield GaugeMetricFamily("timbra_recompute_oldest_seconds",
                                "Age of the oldest day waiting for the recompute", age)
        yield GaugeMetricFamily("timbra_terminal_queued_stamps",
                                "Stamps the terminals last said they hold unacknowledged",
                                int(queued or 0))
        terminals = GaugeMetricFamily("timbra_terminals", "Terminals by status",
                                      labels=["status"])
        for status, count in by_status:
            terminals.add_metric([status], count)
        yield terminals


ROUTES = [healthz, readyz, metrics]
