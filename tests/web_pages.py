"""What the request, self-service and office page tests share: a logged-in client, its
CSRF token, a plain day of last month, the stamps of a day as the office sees them."""

from __future__ import annotations

from contextlib import ExitStack
from datetime import date, timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient
from web_world import World

Client = TestClient[Litestar]


def signed_in(world: World, stack: ExitStack, institution: str, role: str) -> Client:
    client = world.client(stack)
    assert world.login(client, institution, role).status_code == 303
    return client


def csrf(client: Client) -> str:
    return client.cookies.get("timbra_csrf", "")


def form(client: Client, **fields: str) -> dict[str, str]:
    return {**fields, "_csrf_token": csrf(client)}


def json_headers(client: Client) -> dict[str, str]:
    return {"x-csrftoken": csrf(client)}


def last_month() -> str:
    return (date.today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


def plain_days(client: Client, employee_id: int, month: str | None = None) -> list[Any]:
    """Days of the month (default last) that were due, computed, without anomalies."""
    month = month or last_month()
    days = client.get(f"/api/v1/timecard/{employee_id}?month={month}").json()["days"]
    return [d for d in days if d["computed"] and d["due"] > 0 and not d["anomalies"]]


def day_of(client: Client, employee_id: int, day: str) -> Any:
    days = client.get(f"/api/v1/timecard/{employee_id}?month={day[:7]}").json()["days"]
    return next(d for d in days if d["date"] == day)
