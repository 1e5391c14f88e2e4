"""What ingest needs to know about terminals, badges and rules, cached in memory.

Positive answers are cached (a terminal or a badge does not change owner
while the server runs; a revoked badge clears the cache through `forget`);
negative ones are not, so a terminal or badge added a minute ago is found.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db.models import Badge, Employee, Terminal
from server.policy.load import UnknownInstitution, load_policy
from server.policy.model import Policy


@dataclass(frozen=True)
class KnownTerminal:
    id: int
    institution_id: str
    code: str


@dataclass(frozen=True)
class Holder:
    """The employee a badge belongs to, with what the engine needs of them."""

    employee_id: int
    profile: str


class Lookup:
    def __init__(self) -> None:
        self._terminals: dict[tuple[str, str], KnownTerminal] = {}
        self._holders: dict[tuple[str, str], Holder] = {}
        self._zones: dict[str, ZoneInfo] = {}
        self._double_swipe: dict[tuple[str, date], int] = {}
        self.skew_s: dict[int, int] = {}  # terminal id -> last reported clock skew
        # employee id -> time of their latest stamp seen by this process, for the
        # double-swipe flag (the engine applies the same window again when evaluating).
        self.last_swipe: dict[int, datetime] = {}

    def terminal(self, session: Session, institution_id: str, code: str) -> KnownTerminal | None:
        key = (institution_id, code)
        found = self._terminals.get(key)
        if found is None:
            row = session.scalar(select(Terminal).where(
                Terminal.institution_id == institution_id, Terminal.code == code))
            if row is None:
                return None
            found = KnownTerminal(row.id, institution_id, code)
            self._terminals[key] = found
            if row.clock_skew_s is not None:
                self.skew_s[row.id] = row.clock_skew_s
        return found

    def holders(self, session: Session, institution_id: str,
                badges: set[str]) -> dict[str, Holder]:
        """Badge -> holder for the badges that are issued and not revoked."""
        found = {b: h for b in badges if (h := self._holders.get((institution_id, b)))}
        missing = badges - found.keys()
        if missing:
            rows = session.execute(
                select(Badge.code, Employee.id, Employee.profile)
                .join(Employee, Employee.id == Badge.employee_id)
                .where(Badge.institution_id == institution_id, Badge.code.in_(missing),
                       Badge.revoked_at.is_(None), Employee.active.is_(True)))
            for code, employee_id, profile in rows:
                holder = Holder(employee_id, profile)
                self._holders[(institution_id, code)] = holder
                found[code] = holder
        return found

    def forget(self, institution_id: str, badge: str) -> None:
        self._holders.pop((institution_id, badge), None)

    def policy(self, institution_id: str) -> Policy | None:
        try:
            return load_policy(institution_id)
        except UnknownInstitution:
            return None

    def zone(self, institution_id: str) -> ZoneInfo:
        zone = self._zones.get(institution_id)
        if zone is None:
            policy = self.policy(institution_id)
            zone = ZoneInfo(policy.timezone if policy else "Europe/Rome")
            self._zones[institution_id] = zone
        return zone

    def double_swipe_s(self, institution_id: str, day: date) -> int:
        """The rule file's double-swipe window on `day`, in seconds (asked once per stamp)."""
        key = (institution_id, day)
        window = self._double_swipe.get(key)
        if window is None:
            window = self._double_swipe[key] = self._read_double_swipe(institution_id, day)
        return window

    def _read_double_swipe(self, institution_id: str, day: date) -> int:
        policy = self.policy(institution_id)
        if policy is None:
            return 0
        try:
            stamping = policy.version_on(day).stamping
        except LookupError:
            return 0
        window = stamping.double_swipe if stamping else None
        return window.value * 60 if window else 0
