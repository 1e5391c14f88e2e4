"""What the request, self-service and office page tests share: a logged-in client, its
CSRF token, a plain day of last month, the stamps of a day as the office sees them, a rule
file the administrator uploaded and activated."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from datetime import date, timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient
from world import WebWorld

from server.plugins import institutions

Client = TestClient[Litestar]


def signed_in(world: WebWorld, stack: ExitStack, institution: str, role: str) -> Client:
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


def activate_rules(world: WebWorld, stack: ExitStack, institution: str,
                   edit: Callable[[str], str], file_name: str) -> None:
    """The administrator's way: upload `edit` of the plugin's rule file in /admin/rules
    (checked on upload) and activate it from the 1st of this month, so it is in force today."""
    plugin_text = institutions()[institution].rule_file.read_text(encoding="utf-8")
    text = edit(plugin_text)
    assert text != plugin_text, "the edit changed nothing"
    admin = signed_in(world, stack, institution, "admin")
    uploaded = admin.post("/admin/rules", data=form(admin, text=text, file_name=file_name),
                          follow_redirects=False)
    assert uploaded.status_code == 303, uploaded.text
    version = uploaded.headers["location"].rsplit("/", 1)[1]
    active_from = date.today().replace(day=1).isoformat()
    activated = admin.post(f"/admin/rules/{version}/activate",
                           data=form(admin, active_from=active_from), follow_redirects=False)
    assert activated.status_code == 303, activated.text
