"""Which rule file is in force for an institution on a day.

The plugin's file applies until an administrator activates an uploaded one
(a `RuleVersion` row in state "active") from a date; from then on that file
applies, until a later activation. An activation starts on the first day of a
month, so a month is always computed with one file (principle 4); changes
inside a month belong in the file's own `rules from DATE` sections.
`server.policy.load.load_policy` is untouched: it still gives the plugin's file.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from dsl.checker import check
from dsl.errors import RuleError
from dsl.parser import parse
from server.db.models import RuleVersion
from server.policy.compile import compile_policy
from server.policy.load import UnknownInstitution, load_policy
from server.policy.model import Policy


def compile_source(source: str, file_name: str) -> Policy:
    """Parse, check and compile a rule file's text; a problem is a `RuleError`."""
    return _compiled(file_name, hashlib.sha256(source.encode()).hexdigest(), source)


@lru_cache(maxsize=64)
def _compiled(file_name: str, digest: str, source: str) -> Policy:
    # Keyed by the digest too so the cache key stays small to compare; the compiled
    # policy also caches the engine's plans, so reusing it matters for speed.
    rule_file = parse(source, file_name)
    problems = check(rule_file)
    if problems:
        raise RuleError(problems)
    return compile_policy(rule_file)


def plugin_policy(institution_id: str) -> Policy | None:
    try:
        return load_policy(institution_id)
    except UnknownInstitution:
        return None


@dataclass(frozen=True)
class _Active:
    starts: date
    file_name: str
    source: str


class RulesInForce:
    """The files in force for some institutions, read with one query."""

    def __init__(self, session: Session, institution_ids: Iterable[str],
                 fallback: Callable[[str], Policy | None] = plugin_policy) -> None:
        self._fallback = fallback
        self._active: dict[str, list[_Active]] = {}
        wanted = set(institution_ids)
        if not wanted:
            return
        rows = session.execute(
            select(RuleVersion.institution_id, RuleVersion.active_from,
                   RuleVersion.file_name, RuleVersion.source)
            .where(RuleVersion.institution_id.in_(wanted), RuleVersion.state == "active",
                   RuleVersion.active_from.is_not(None))
            .order_by(RuleVersion.active_from, RuleVersion.id))
        for institution_id, starts, name, source in rows:
            assert starts is not None  # filtered above
            self._active.setdefault(institution_id, []).append(_Active(starts, name, source))

    def on(self, institution_id: str, day: date) -> Policy | None:
        active = self._active.get(institution_id)
        if active:
            index = bisect.bisect_right([a.starts for a in active], day) - 1
            if index >= 0:
                return compile_source(active[index].source, active[index].file_name)
        return self._fallback(institution_id)


def policy_on(session: Session, institution_id: str, day: date) -> Policy:
    """The policy in force on `day`; `UnknownInstitution` when there is none at all."""
    policy = RulesInForce(session, [institution_id]).on(institution_id, day)
    if policy is None:
        raise UnknownInstitution(institution_id, [])
    return policy


def policy_at(session: Session, institution_id: str, moment: datetime) -> tuple[Policy, date]:
    """The policy in force at `moment` and the institution's date then, on which it is
    chosen: a file activated from the 1st starts at local midnight, when in Rome it is
    still the last day of the month before in UTC. `UnknownInstitution` when none."""
    rules = RulesInForce(session, [institution_id])
    policy = rules.on(institution_id, moment.astimezone(UTC).date())
    if policy is None:
        raise UnknownInstitution(institution_id, [])
    day = moment.astimezone(ZoneInfo(policy.timezone)).date()
    return rules.on(institution_id, day) or policy, day
