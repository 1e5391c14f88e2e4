"""Employees imported from CSV: per-line errors, all or nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from world import World, world

from server.db.models import AuditEntry, Badge, Employee
from server.errors import NotAllowed
from server.office.employees_import import ImportRefused, import_employees

TODAY = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def uni(db_engine: sa.Engine) -> Iterator[World]:
    with Session(db_engine) as session:
        yield world(session, "university")


def employees(w: World) -> int:
    return w.session.scalar(sa.select(sa.func.count()).select_from(Employee)) or 0


def test_a_clean_file_creates_employees_with_badges(uni: World) -> None:
    data = ("number,name,profile,unit,badge,part_time_percent\n"
            "M100,Luca Bianchi,full_time,lab,5100,\n"
            "M101,Sara Neri,part_time_6h,library,5101,83\n").encode("utf-8-sig")
    result = import_employees(uni.session, uni.users["admin"], data, today=TODAY, now=NOW)
    assert [(e.number, e.profile, e.part_time_percent) for e in result.created] == [
        ("M100", "full_time", 100), ("M101", "part_time_6h", 83)]
    assert set(uni.session.scalars(sa.select(Badge.code))) == {"5100", "5101"}
    entry = uni.session.scalars(sa.select(AuditEntry)).one()
    assert entry.detail["count"] == 2


def test_one_bad_line_writes_nothing_and_every_error_names_its_line(uni: World) -> None:
    before = employees(uni)
    data = ("number,name,profile,badge\n"
            "M100,Luca Bianchi,full_time,5100\n"
            "M101,Sara Neri,full_time_7h,5100\n"
            "ANN,Ann Again,full_time,\n"
            ",Senza Matricola,full_time,\n")
    with pytest.raises(ImportRefused) as refused:
        import_employees(uni.session, uni.users["office"], data, today=TODAY, now=NOW)
    messages = [str(e) for e in refused.value.errors]
    assert messages == [
        "riga 3: profilo 'full_time_7h' assente dalle regole in vigore / line 3: profile "
        "'full_time_7h' is not in the rules in force",
        "riga 3: badge 5100 già assegnato / line 3: badge 5100 is already issued",
        "riga 4: matricola ANN già presente / line 4: number ANN already exists",
        "riga 5: manca number / line 5: number is missing",
    ]
    assert employees(uni) == before
    assert uni.session.scalar(sa.select(sa.func.count()).select_from(Badge)) == 0


def test_a_wrong_header_is_refused_before_any_line(uni: World) -> None:
    with pytest.raises(ImportRefused) as refused:
        import_employees(uni.session, uni.users["office"], "matricola,nome\nM1,X\n",
                         today=TODAY, now=NOW)
    assert refused.value.errors[0].line == 1


def test_employees_cannot_import(uni: World) -> None:
    with pytest.raises(NotAllowed):
        import_employees(uni.session, uni.users["ann"], "number,name,profile\n", today=TODAY)
