"""What ingest needs to know about terminals, badges and rules, cached in memory.

Terminals are cached for good (a terminal does not change institution or code).
Badge holders and the rule files in force are cached per institution until its
`directory_revision` changes: every badge, employee or rule file change made anywhere
(the web, the CLI, another server) bumps it in the same transaction, and `holders`
compares it first, one small primary-key query per call, so a revoked badge is refused,
and a rule file activated by an administrator applies, from the next batch on.
Negative answers are not cached, so a badge issued a minute ago is found.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.days.rules_in_force import RulesInForce
from server.db.models import Badge, Employee, Terminal
from server.db.revision import revisions
from server.policy.load import UnknownInstitution, load_policy
from server.policy.model import Policy


@dataclass(frozen=True)
class KnownTerminal:
    id: int
    institution_id: str
    code: str


@dataclass(frozen=True)
class Holder:
    """The employee a badge belongs to, with what the engine needs of them, and from when
    their stamps stop counting: the badge's revocation, the employee's deactivation."""

    employee_id: int
    profile: str
    revoked_at: datetime | None = None
    deactivated: bool = False
    # When `deactivated`, None means the time is unknown (deactivated before migration
    # 0006): every stamp is refused, as before the column existed.
    deactivated_at: datetime | None = None

    def valid_at(self, moment: datetime) -> bool:
        """Whether a stamp taken at `moment` (terminal time) counts: a terminal that was
        offline replays stamps taken before the badge was revoked or its employee
        deactivated (someone's last day), and they stand."""
        if self.revoked_at is not None and moment >= self.revoked_at:
            return False
        if self.deactivated:
            return self.deactivated_at is not None and moment < self.deactivated_at
        return True


def refusal(badge: str, holder: Holder | None, moment: datetime) -> str:
    """Why a stamp taken at `moment` is refused, for the office: a revoked badge still in
    use may be a lost or stolen card, a deactivated employee's one may be a card never
    handed back. The terminal shows "unknown badge" whatever the reason."""
    why = []
    if holder is not None:
        if holder.revoked_at is not None and moment >= holder.revoked_at:
            why.append(f"revoked at {holder.revoked_at.isoformat()}")
        if holder.deactivated:
            when = holder.deactivated_at
            why.append("employee deactivated" + (f" at {when.isoformat()}" if when else ""))
    return f"unknown badge {badge}" + (f" ({', '.join(why)})" if why else "")


class Lookup:
    def __init__(self) -> None:
        self._terminals: dict[tuple[str, str], KnownTerminal] = {}
        # institution -> badge -> holder, valid while the institution's revision is as seen
        self._holders: dict[str, dict[str, Holder]] = {}
        self._revisions: dict[str, int] = {}
        # institution -> the rule files in force, read with the holders; what follows is
        # derived from them per day, and dropped with them.
        self._rules: dict[str, RulesInForce] = {}
        self._zones: dict[tuple[str, date], ZoneInfo] = {}  # key: (institution, UTC date)
        self._double_swipe: dict[tuple[str, date], int] = {}  # key: (institution, local day)
        # Institutions whose revision changed since `take_changed` was last asked: what
        # else derives from their rules (the terminals' keypad configs) is built again.
        self._changed: set[str] = set()

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
        return found

    def holders(self, session: Session,
                wanted: Mapping[str, set[str]]) -> dict[tuple[str, str], Holder]:
        """(institution, badge) -> holder for the badges that exist, revoked or not, their
        employee active or not: whether a stamp counts depends on its time (`valid_at`)."""
        if not any(wanted.values()):
            return {}
        self._drop_stale(session, wanted.keys())  # first: a change after it is seen next time
        return {(institution, badge): holder
                for institution, badges in wanted.items()
                for badge, holder in self._holders_of(session, institution, badges).items()}

    def _drop_stale(self, session: Session, institution_ids: Iterable[str]) -> None:
        changed = {institution: revision
                   for institution, revision in revisions(session, institution_ids).items()
                   if self._revisions.get(institution) != revision}
        if not changed:
            return  # the steady state: no query beyond the revisions
        # Read after the revisions: an activation committed in between is read now and
        # again next batch, never missed. One query whatever changed: rule activations are
        # rare, badge changes refill this too, which is cheap. The revisions are recorded
        # only once it is read: a query that fails leaves them to be compared again.
        rules = RulesInForce(session, changed, fallback=self.policy)
        self._revisions.update(changed)
        self._changed |= changed.keys()
        for institution in changed:
            self._holders[institution] = {}
            self._rules[institution] = rules
        for cache in (self._zones, self._double_swipe):
            for key in [k for k in cache if k[0] in changed]:
                del cache[key]

    def refresh(self, session: Session, institution_ids: Iterable[str]) -> None:
        """Compare these institutions' revisions now, as a stamp batch does, and read their
        rules in force again where one changed: for the keypad configs, which must follow
        an activation when no stamp arrives."""
        self._drop_stale(session, institution_ids)

    def take_changed(self, among: Iterable[str] | None = None) -> set[str]:
        """The institutions (of `among`, all when None) whose revision changed since they
        were last taken."""
        taken = set(self._changed) if among is None else self._changed.intersection(among)
        self._changed -= taken
        return taken

    def _holders_of(self, session: Session, institution_id: str,
                    badges: set[str]) -> dict[str, Holder]:
        cached = self._holders.setdefault(institution_id, {})
        found = {b: h for b in badges if (h := cached.get(b))}
        missing = badges - found.keys()
        if missing:
            rows = session.execute(
                select(Badge.code, Employee.id, Employee.profile, Badge.revoked_at,
                       Employee.active, Employee.deactivated_at)
                .join(Employee, Employee.id == Badge.employee_id)
                .where(Badge.institution_id == institution_id, Badge.code.in_(missing)))
            for code, employee_id, profile, revoked_at, active, deactivated_at in rows:
                # An active employee's deactivated_at is ignored: only a deactivation counts.
                found[code] = cached[code] = Holder(
                    employee_id, profile, revoked_at, not active,
                    None if active else deactivated_at)
        return found

    def policy(self, institution_id: str) -> Policy | None:
        try:
            return load_policy(institution_id)
        except UnknownInstitution:
            return None

    def rules_on(self, institution_id: str, day: date) -> Policy | None:
        """The rule file in force on `day`, as read at the last revision change; the
        plugin's file for an institution `holders` has not been asked about yet."""
        rules = self._rules.get(institution_id)
        return rules.on(institution_id, day) if rules else self.policy(institution_id)

    def zone(self, institution_id: str, moment: datetime) -> ZoneInfo:
        """The time zone of the rules in force at `moment` (asked once per stamp). They
        are taken on its UTC date, as the web's stamping does: the local date is what the
        zone decides. A file that moves the institution is unlikely, but it would apply."""
        key = (institution_id, moment.astimezone(UTC).date())
        zone = self._zones.get(key)
        if zone is None:
            policy = self.rules_on(*key)
            zone = self._zones[key] = ZoneInfo(policy.timezone if policy else "Europe/Rome")
        return zone

    def double_swipe_s(self, institution_id: str, day: date) -> int:
        """The double-swipe window of the rules in force on `day`, in seconds (asked once
        per stamp: a dict lookup until the institution's revision changes)."""
        key = (institution_id, day)
        window = self._double_swipe.get(key)
        if window is None:
            window = self._double_swipe[key] = self._read_double_swipe(institution_id, day)
        return window

    def _read_double_swipe(self, institution_id: str, day: date) -> int:
        policy = self.rules_on(institution_id, day)
        if policy is None:
            return 0
        try:
            stamping = policy.version_on(day).stamping
        except LookupError:
            return 0
        window = stamping.double_swipe if stamping else None
        return window.value * 60 if window else 0
