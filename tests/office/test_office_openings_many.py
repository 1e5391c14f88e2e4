"""A university's whole staff in one openings file: 2,000 lines written as the pages then
read them, and one line a service refuses among them changing nothing at all (the
figures of every other line, the openings already recorded, the account's kept closings).
The import checks every figure against what it read once and writes the rows together
(`server.office.opening_batch`): these are what that must not lose."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from world import World, world

from server.db.account_tables import AccountMonthRow, AccountOpening
from server.db.allowance_tables import AllowanceOpening
from server.db.contract_tables import NO_START, ContractRow
from server.db.leave_tables import LeaveOpening
from server.db.models import AuditEntry, Employee
from server.office.account_openings import set_opening
from server.office.csv_files import ImportRefused
from server.office.leave import leave_of_employee
from server.office.openings_import import import_openings
from server.office.summary import month_summary

APRIL_10 = datetime(2026, 4, 10, 9, 0, tzinfo=UTC)
MANY = 2000
HEADER = ("Matricola;Data;Saldo ore;Ferie;Ferie anno precedente;"
          "Esigenze personali a recupero (art. 100 CCNL) - ore usate;Motivo\r\n")


@pytest.fixture
def university(db_engine: sa.Engine) -> Iterator[World]:
    """The world's university with 2,000 more people, each with the account's closings of
    February and March kept, and Ann's opening of March already recorded."""
    with Session(db_engine) as session:
        w = world(session, "university")
        session.execute(sa.insert(Employee), [
            {"institution_id": "university", "number": f"P{n:05d}", "name": f"Persona {n}",
             "profile": "full_time", "part_time_percent": 100, "active": True}
            for n in range(MANY - 1)])
        ids = list(session.scalars(sa.select(Employee.id)))
        session.execute(sa.insert(ContractRow), [
            {"institution_id": "university", "employee_id": e, "starts": NO_START,
             "profile": "full_time", "part_time_percent": 100, "reason": "",
             "set_at": APRIL_10} for e in ids
            if e not in {x.id for x in w.employees.values()}])
        session.execute(sa.insert(AccountMonthRow), [
            {"employee_id": e, "year": 2026, "month": month, "balance": 0, "debts": [],
             "computed_at": APRIL_10} for e in ids for month in (2, 3)])
        set_opening(session, w.users["office"], w.employees["ann"].id, date(2026, 3, 1),
                    600, now=APRIL_10)
        session.commit()
        yield w


def _figures(n: int) -> tuple[int, int, int, int]:
    """Line n's balance (minutes), ferie and last year's (half days), hours used (minutes)."""
    return (-1 if n % 2 else 1) * (n % 50 * 60 + n % 4 * 15), n % 30 * 2 + n % 3 % 2, \
        n % 4 * 2, n % 36 * 60


def _line(number: str, n: int, day: str = "01/03/2026") -> str:
    balance, ferie, carried, used = _figures(n)
    sign = "-" if balance < 0 else ""
    return (f"{number};{day};{sign}{abs(balance) // 60}:{abs(balance) % 60:02d};"
            f"{ferie // 2}{',5' if ferie % 2 else ''};{carried // 2};{used // 60}:00;\r\n")


def _file(bad_at: int | None = None) -> tuple[str, list[str]]:
    """Ann first, then everyone added; line `bad_at` dated mid-month (the account's
    service refuses it: an opening balance starts on the 1st)."""
    numbers = ["ANN"] + [f"P{n:05d}" for n in range(MANY - 1)]
    lines = [_line(number, n, "16/03/2026" if n + 2 == bad_at else "01/03/2026")
             for n, number in enumerate(numbers)]
    return "\ufeff" + HEADER + "".join(lines), numbers


def _stored(session: Session) -> tuple[int, ...]:
    counts = tuple(session.scalar(sa.select(sa.func.count()).select_from(table)) or 0
                   for table in (AccountOpening, LeaveOpening, AllowanceOpening, AuditEntry))
    closings = session.execute(sa.select(AccountMonthRow.month, sa.func.count())
                               .group_by(AccountMonthRow.month).order_by(AccountMonthRow.month))
    return (*counts, *(x for row in closings for x in row))


def test_two_thousand_lines_are_written_as_the_pages_read_them(university: World) -> None:
    w, office = university, university.users["office"]
    data, numbers = _file()
    assert import_openings(w.session, office, data, now=APRIL_10).numbers == numbers
    w.session.commit()

    by_number = dict(list(w.session.execute(sa.select(Employee.number, Employee.id)).all()))
    for n in (0, 1, 2, 1000, MANY - 1):  # Ann (replaced), the first, the middle, the last
        employee_id = by_number[numbers[n]]
        balance, ferie, carried, used = _figures(n)
        march = month_summary(w.session, office, employee_id, 2026, 3, now=APRIL_10)
        assert march.account is not None
        assert march.account.opening.balance == balance
        [needs] = [a for a in march.result.allowances if a.name == "personal_needs"]
        assert needs.used_before == used
        [year] = [y for y in leave_of_employee(w.session, office, employee_id,
                                               date(2026, 3, 16)) if y.name == "ferie"]
        assert (year.left, year.carried_in) == (ferie, carried)

    ann = by_number["ANN"]
    audit = w.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "account_opening_set", AuditEntry.target == f"employee:{ann}")
        .order_by(AuditEntry.id)).all()
    assert [(a.detail["before"], a.detail["after"]) for a in audit] == [(None, 600), (600, 0)]
    assert audit[-1].detail["reason"] == "importazione dei saldi iniziali, riga 2"
    assert audit[-1].user_id == office.id and audit[-1].at == APRIL_10
    actions = w.session.scalars(sa.select(AuditEntry.action)).all()
    assert [actions.count(a) for a in ("account_opening_set", "leave_opening",
                                       "allowance_opening_set", "openings_imported")] == [
        MANY + 1, MANY, MANY, 1]
    # The account carries from the openings again: March's kept closings are forgotten,
    # February's (before the openings) kept.
    assert _stored(w.session)[:3] == (MANY, MANY, MANY)
    assert _stored(w.session)[4:] == (2, MANY + 2, 3, 2)  # Bob and Cat are not in the file


def test_one_refused_line_among_two_thousand_changes_nothing(university: World,
                                                             db_engine: sa.Engine) -> None:
    w = university
    before = _stored(w.session)
    data, _ = _file(bad_at=1500)
    with pytest.raises(ImportRefused) as refused:
        import_openings(w.session, w.users["office"], data, now=APRIL_10)
    assert [(e.line, e.italian) for e in refused.value.errors] == [
        (1500, "saldo ore: Il saldo iniziale vale dal primo giorno di un mese")]
    w.session.commit()  # as the page does after telling the refusal

    with Session(db_engine) as fresh:
        assert _stored(fresh) == before
        ann = fresh.scalars(sa.select(AccountOpening)).one()
        assert (ann.starts, ann.balance) == (date(2026, 3, 1), 600)
