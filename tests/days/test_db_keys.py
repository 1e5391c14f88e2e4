"""Deleting day results and dirty marks by key: exactly those rows, through the index.

day_results holds one row per employee and day for ever; a recompute that
scanned it for every hundred days would slow down month after month.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from services import POSTGRES_ADMIN
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.db import make_engine
from server.db.directory import add_employee, ensure_institution
from server.db.keys import employee_day_marks, employee_days, one_of
from server.db.models import DAY_RESULTS, DIRTY_DAYS, Employee

MARKED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAYS = [date(2026, 3, d) for d in (2, 3, 4)]


def _people(engine: sa.Engine) -> list[int]:
    with Session(engine) as session:
        ensure_institution(session, "university", "Università degli Studi di Milano")
        ids = [add_employee(session, "university", f"M00{n}", f"Dipendente {n}").id
               for n in (1, 2)]
        session.commit()
    return ids


def _result(employee_id: int, day: date) -> dict[str, object]:
    return {"employee_id": employee_id, "day": day, "worked": 0, "due": 0, "balance": 0,
            "anomalies": 0, "data": {}, "stamps_seen": 0, "computed_at": MARKED}


def test_exactly_the_given_employee_days_are_deleted(db_engine: sa.Engine) -> None:
    first, second = _people(db_engine)
    with db_engine.begin() as connection:
        connection.execute(sa.insert(DAY_RESULTS),
                           [_result(e, d) for e in (first, second) for d in DAYS])
        connection.execute(sa.delete(DAY_RESULTS).where(employee_days(
            DAY_RESULTS, [(first, DAYS[0]), (first, DAYS[2]), (second, DAYS[1])])))
        left = set(connection.execute(sa.select(DAY_RESULTS.c.employee_id, DAY_RESULTS.c.day)))
    assert left == {(first, DAYS[1]), (second, DAYS[0]), (second, DAYS[2])}


def test_a_dirty_mark_renewed_since_it_was_read_stays(db_engine: sa.Engine) -> None:
    first, second = _people(db_engine)
    later = MARKED.replace(minute=5)
    with db_engine.begin() as connection:
        connection.execute(sa.insert(DIRTY_DAYS), [
            {"institution_id": "university", "employee_id": first, "day": DAYS[0],
             "marked_at": MARKED},
            {"institution_id": "university", "employee_id": second, "day": DAYS[0],
             "marked_at": later}])
        connection.execute(sa.delete(DIRTY_DAYS).where(employee_day_marks(
            DIRTY_DAYS, [("university", first, DAYS[0], MARKED),
                         ("university", second, DAYS[0], MARKED)])))
        left = set(connection.execute(sa.select(DIRTY_DAYS.c.employee_id)))
    assert left == {(second,)}


def test_sqlite_finds_the_keys_through_the_index_instead_of_scanning(
        tmp_path: object) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path}/plan.db")
    DAY_RESULTS.create(engine, checkfirst=True)
    DIRTY_DAYS.create(engine, checkfirst=True)
    statements = [
        sa.delete(DAY_RESULTS).where(employee_days(DAY_RESULTS, [(1, DAYS[0]), (2, DAYS[1])])),
        sa.delete(DIRTY_DAYS).where(employee_day_marks(
            DIRTY_DAYS, [("university", 1, DAYS[0], MARKED), ("university", 2, DAYS[1], MARKED)])),
    ]
    with engine.connect() as connection:
        for statement in statements:
            compiled = statement.compile(engine, compile_kwargs={"render_postcompile": True})
            plan = " | ".join(row[3] for row in connection.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {compiled}", tuple(compiled.params.values())))
            assert "SEARCH" in plan and "SCAN" not in plan, plan


def test_one_of_picks_the_same_rows_each_time_the_statement_runs(db_engine: sa.Engine) -> None:
    """One statement compiled once (SQLAlchemy's cache), run with other values each time:
    each run answers its own values, on SQLite (an IN list) and PostgreSQL (an array)."""
    first, second = _people(db_engine)
    with db_engine.begin() as connection:
        connection.execute(sa.insert(DAY_RESULTS),
                           [_result(e, d) for e in (first, second) for d in DAYS])

        def found(ids: list[int], days: list[date]) -> set[tuple[int, date]]:
            return set(connection.execute(
                sa.select(DAY_RESULTS.c.employee_id, DAY_RESULTS.c.day)
                .where(one_of(DAY_RESULTS.c.employee_id, ids),
                       one_of(DAY_RESULTS.c.day, days))).all())

        assert found([first], DAYS[:1]) == {(first, DAYS[0])}
        assert found([second], DAYS[1:]) == {(second, DAYS[1]), (second, DAYS[2])}
        assert found([first, second], [DAYS[2]]) == {(first, DAYS[2]), (second, DAYS[2])}
        assert found([], DAYS) == set()
        assert connection.scalar(sa.select(sa.func.count()).select_from(DAY_RESULTS).where(
            ~one_of(DAY_RESULTS.c.employee_id, [first]))) == len(DAYS)


def test_one_of_is_one_array_parameter_on_postgresql_and_an_in_list_elsewhere() -> None:
    statement = sa.select(DAY_RESULTS.c.day).where(
        one_of(DAY_RESULTS.c.employee_id, list(range(500))))
    array = str(statement.compile(dialect=postgresql.dialect()))
    assert "= ANY (" in array and array.count("%(") == 1
    listed = str(statement.compile(dialect=sqlite.dialect(),
                                   compile_kwargs={"render_postcompile": True}))
    # A plain IN, not the "= 1" SQLite's dialect adds to a boolean it does not know.
    assert "IN (" in listed and listed.count("?") == 500 and "= 1" not in listed


def test_one_of_a_number_longer_than_the_column_finds_no_one(db_engine: sa.Engine) -> None:
    """A matricola asked for with one character more than the 40 the column keeps (a
    number from another system) is nobody's: the employee whose number is its first 40
    characters is not found in its place, as `IN` would not find them."""
    kept = "UNIMI-" + "0" * 30 + "1234"
    with Session(db_engine) as session:
        ensure_institution(session, "university", "Università degli Studi di Milano")
        add_employee(session, "university", kept, "Giulia Bianchi")
        session.commit()

        def named(numbers: list[str]) -> list[str]:
            return list(session.scalars(sa.select(Employee.name).where(
                one_of(Employee.number, numbers))))

        assert named([kept]) == ["Giulia Bianchi"]
        assert named([kept + "5"]) == []


def test_a_postgresql_link_that_dies_silently_is_given_up_within_minutes(
        tmp_path: object) -> None:
    """A worker's statement (or the recompute turn's unlock) on a link a firewall dropped
    would otherwise wait for the kernel's default, about fifteen minutes."""
    engine = make_engine(POSTGRES_ADMIN)
    try:
        with engine.connect() as connection:
            driver = connection.connection.driver_connection
            assert driver is not None
            given = driver.info.get_parameters()
    finally:
        engine.dispose()
    assert given["keepalives"] == "1" and int(given["keepalives_idle"]) <= 60
    assert 0 < int(given["tcp_user_timeout"]) <= 120_000
