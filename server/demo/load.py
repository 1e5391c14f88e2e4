"""Fill an empty database with a demo: each institution's people, badges and terminals,
and their stamps from the start of last month to yesterday, with day results computed.

Idempotent: an institution that already has employees is left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session

from server.days.facts import EmployeeDay
from server.days.results import refresh_days
from server.db.directory import add_employee, add_terminal, ensure_institution
from server.db.models import Employee, Stamp, Terminal
from server.demo.stamps import demo_stamps
from server.plugins import institutions
from server.policy.load import load_policy

PEOPLE = ("Maria Rossi", "Giuseppe Bianchi", "Francesca Esposito")
# The two terminals `make run` drives live; each institution also gets an archive
# terminal through which last month's demo stamps "arrived".
LIVE_TERMINALS = (("university", "ingresso-festa"), ("school", "portineria"))
ARCHIVE = "archivio"


@dataclass(frozen=True)
class DemoTerminal:
    institution: str
    code: str
    badges: tuple[str, ...]


def badge_of(institution: str, index: int) -> str:
    return f"{institution[:3].upper()}{1001 + index}"


def load_demo(engine: Engine, today: date) -> list[DemoTerminal]:
    """Create what is missing; returns the live terminals with the badges they may read."""
    live: list[DemoTerminal] = []
    with Session(engine) as session, session.begin():
        for institution, spec in sorted(institutions().items()):
            ensure_institution(session, institution, spec.name)
            fresh = not session.scalar(select(func.count()).select_from(Employee).where(
                Employee.institution_id == institution))
            if fresh:
                _people_and_history(session, institution, today)
            for inst, code in LIVE_TERMINALS:
                if inst == institution:
                    _terminal(session, institution, code, "Demo: terminale simulato")
                    badges = tuple(badge_of(institution, i) for i in range(len(PEOPLE)))
                    live.append(DemoTerminal(institution, code, badges))
    return live


def _terminal(session: Session, institution: str, code: str, location: str) -> Terminal:
    found = session.scalar(select(Terminal).where(Terminal.institution_id == institution,
                                                  Terminal.code == code))
    return found or add_terminal(session, institution, code, location).terminal


def _people_and_history(session: Session, institution: str, today: date) -> None:
    policy = load_policy(institution)
    zone = ZoneInfo(policy.timezone)
    archive = _terminal(session, institution, ARCHIVE, "Demo: storico del mese precedente")
    first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    received = datetime.now(UTC)
    rows: list[dict[str, object]] = []
    days: set[EmployeeDay] = set()
    for index, name in enumerate(PEOPLE):
        badge = badge_of(institution, index)
        employee = add_employee(session, institution, f"M{index + 1:03d}", name, badge=badge)
        for month_start in (first, today.replace(day=1)):
            stamps = demo_stamps(month_start.year, month_start.month,
                                 f"{institution}-{index}-{month_start}", None)
            for day, day_stamps in stamps.items():
                if day >= today:
                    continue
                days.add((institution, employee.id, day))
                for stamp in day_stamps:
                    moment = datetime(day.year, day.month, day.day, stamp.minute // 60,
                                      stamp.minute % 60, tzinfo=zone)
                    rows.append({
                        "institution_id": institution, "source": "terminal",
                        "terminal_id": archive.id, "seq": len(rows) + 1, "badge": badge,
                        "employee_id": employee.id, "terminal_time": moment,
                        "received_at": received, "local_date": day,
                        "local_minute": stamp.minute, "direction": stamp.direction,
                        "code": stamp.code, "flags": "", "void": False,
                    })
    if rows:
        session.execute(insert(Stamp), rows)
    refresh_days(session, days, received)
