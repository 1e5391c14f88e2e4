"""Migration 0013: the stamps' and dirty days' keys lead with the institution, on data
already stored."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.db import make_engine, upgrade
from server.db.directory import add_badge, add_terminal, ensure_institution
from server.db.models import DIRTY_DAYS, STAMPS, Employee

NOW = datetime(2026, 3, 2, 7, 3, tzinfo=UTC)


def _stamp(terminal_id: int, employee_id: int, seq: int) -> dict[str, object]:
    return {"institution_id": "university", "source": "terminal", "terminal_id": terminal_id,
            "seq": seq, "terminal_stamp_id": f"t1-{seq}", "badge": "1001",
            "employee_id": employee_id, "terminal_time": NOW, "received_at": NOW,
            "local_date": date(2026, 3, 2), "local_minute": 483, "direction": "in",
            "code": None, "flags": "", "body": "{}", "void": False}


def test_upgrading_keeps_the_stamps_and_marks_and_the_new_keys_refuse_a_repeat(
        db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine, "0007")
        with Session(engine) as session:
            ensure_institution(session, "university", "Università degli Studi di Milano")
            # Revision 0007 has no contracts table: the employee row alone, as then.
            employee = Employee(institution_id="university", number="M001", name="Maria Rossi",
                                profile="full_time", part_time_percent=100, active=True)
            session.add(employee)
            session.flush()
            add_badge(session, employee, "1001")
            terminal = add_terminal(session, "university", "t1").terminal
            session.commit()
            ids = (terminal.id, employee.id)
        with engine.begin() as connection:
            connection.execute(sa.insert(STAMPS), [_stamp(*ids, 1), _stamp(*ids, 2)])
            connection.execute(sa.insert(DIRTY_DAYS), [{
                "institution_id": "university", "employee_id": ids[1],
                "day": date(2026, 3, 2), "marked_at": NOW}])
        upgrade(engine)
        inspector = sa.inspect(engine)
        keys = {c["name"]: c["column_names"] for c in inspector.get_unique_constraints("stamps")}
        assert keys == {"uq_stamps_institution_terminal_seq":
                        ["institution_id", "terminal_id", "seq"]}
        assert inspector.get_pk_constraint("dirty_days")["constrained_columns"] == [
            "institution_id", "employee_id", "day"]
        with engine.connect() as connection:
            assert connection.scalar(sa.select(sa.func.count()).select_from(STAMPS)) == 2
            assert connection.scalar(sa.select(sa.func.count()).select_from(DIRTY_DAYS)) == 1
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
            connection.execute(sa.insert(STAMPS), [_stamp(*ids, 2)])  # the same key again
    finally:
        engine.dispose()
