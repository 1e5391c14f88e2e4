"""Contracts through the API and the employee's page: the office of the institution keeps
them; another institution's clerk gets 404; bad dates are 400 with a clear message and the
field, and change nothing. On both databases."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from web_pages import form, json_headers, signed_in
from world import WebWorld, build_web_world, cheap_hashing


@pytest.fixture
def world(db_engine: sa.Engine, tmp_path: Path) -> Iterator[WebWorld]:
    with cheap_hashing():
        yield build_web_world(db_engine, tmp_path)


def test_the_office_keeps_contracts_and_bad_dates_or_another_institution_change_nothing(
        world: WebWorld, stack: ExitStack) -> None:
    office = signed_in(world, stack, "university", "office")
    me = world.ids[("university", "self_employee")]
    url = f"/api/v1/admin/employees/{me}/contracts"
    headers = json_headers(office)
    [first] = office.get(url).json()
    assert (first["start"], first["end"], first["part_time_percent"]) == (None, None, 100)
    soon = date.today() + timedelta(days=20)

    backwards = office.post(f"{url}/{first['id']}/dates", headers=headers, json={
        "start": soon.isoformat(), "end": (soon - timedelta(days=5)).isoformat()})
    assert backwards.status_code == 400
    assert "precede l'inizio" in backwards.json()["detail"]
    assert backwards.json()["field"] == "end"
    overlapping = office.post(url, headers=headers, json={"start": soon.isoformat()})
    assert overlapping.status_code == 400
    assert "Si sovrappone al contratto" in overlapping.json()["detail"]

    foreign = signed_in(world, stack, "school", "office")
    foreign_headers = json_headers(foreign)
    assert foreign.get(url).status_code == 404
    assert foreign.post(url, headers=foreign_headers,
                        json={"start": soon.isoformat()}).status_code == 404
    assert foreign.post(f"{url}/change", headers=foreign_headers, json={
        "effective": soon.isoformat(), "part_time_percent": 50}).status_code == 404
    assert foreign.post(f"{url}/{first['id']}/dates", headers=foreign_headers, json={
        "start": soon.isoformat()}).status_code == 404
    assert foreign.post(f"/admin/employees/{me}/contracts", data=form(
        foreign, kind="change", start=soon.isoformat(),
        part_time_percent="50")).status_code == 404
    assert office.get(url).json() == [first]

    ended = office.post(f"{url}/{first['id']}/dates", headers=headers,
                        json={"start": None, "end": soon.isoformat()})
    assert ended.status_code == 400  # a start is required: "no start on record" is the page's
    ended = office.post(f"{url}/{first['id']}/dates", headers=headers,
                        json={"start": "2020-01-01", "end": soon.isoformat()})
    assert ended.status_code == 200, ended.text
    added = office.post(url, headers=headers, json={
        "start": (soon + timedelta(days=1)).isoformat(), "part_time_percent": 50,
        "reason": "part time"})
    assert added.status_code == 201, added.text
    assert [(c["start"], c["end"], c["part_time_percent"]) for c in office.get(url).json()] == [
        ("2020-01-01", soon.isoformat(), 100), ((soon + timedelta(days=1)).isoformat(), None, 50)]

    page = office.get(f"/admin/employees/{me}")
    assert page.status_code == 200 and 'id="contracts"' in page.text
    refused = office.post(f"/admin/employees/{me}/contracts", data=form(
        office, kind="add", start=soon.isoformat()))
    assert refused.status_code == 400 and "Si sovrappone al contratto" in refused.text
