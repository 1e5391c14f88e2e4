"""The retained `config` a terminal reads: its institution's code table in force today.

`KeypadConfigs` keeps every terminal's retained config equal to what `keypad_config`
gives for the rules in force (`Lookup.rules_on`) on the institution's local date. It
publishes, retained and QoS 1:

- to every terminal, when the ingest connects (the broker may have lost its retained
  messages) — `publish_all`;
- to a terminal that comes online, whatever it holds (it may be new) — `came_online`;
- to every terminal of an institution whose config changed: its directory revision
  changed (a rule file activated, seen by a stamp batch or by the revision check every
  `revisions_every_s`), or its local date did (a file activated from that day, a new
  `rules from` section; checked every `days_every_s`). The config is built again and
  published only when its bytes differ from what the terminals were last sent, so a
  badge issued or an unchanged day wakes no terminal.

Everything but `publish_all` runs on the ingest's writer thread, the only one that
uses the `Lookup`; `tick` is cheap (a clock read) unless a check is due.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from server.db.models import Terminal
from server.ingest.lookup import Lookup
from server.policy.model import Policy
from terminals.protocol import ConfigMessage, KeypadCode, topic

log = logging.getLogger("timbra.ingest")


def keypad_config(policy: Policy, day: date) -> ConfigMessage:
    version = policy.version_on(day)
    codes = tuple(
        KeypadCode(code, definition.label.value if definition.label else code)
        for code, definition in sorted(version.codes.items())
        # Only the codes the rules let people type at a terminal.
        if definition.entered is None or "terminal" in definition.entered.value
    )
    stamping = version.stamping
    direction = stamping.direction.value if stamping and stamping.direction else "keys"
    swipe = stamping.double_swipe.value * 60 if stamping and stamping.double_swipe else 0
    return ConfigMessage(institution=policy.institution_id, name=policy.name,
                         rules_from=version.effective.isoformat(), direction=direction,
                         double_swipe_s=swipe, codes=codes)


class KeypadConfigs:
    def __init__(self, sessions: sessionmaker[Session], lookup: Lookup,
                 clock: Callable[[], datetime], publish: Callable[[str, bytes], object], *,
                 revisions_every_s: float = 2.0, days_every_s: float = 60.0) -> None:
        """`publish(topic, payload)` sends one retained QoS 1 message."""
        self.sessions = sessions
        self.lookup = lookup
        self.clock = clock
        self.publish = publish
        self.revisions_every_s = revisions_every_s
        self.days_every_s = days_every_s
        self._everything = threading.Event()
        self._sent: dict[str, bytes] = {}  # institution -> what all its terminals were sent
        self._days: dict[str, date] = {}  # institution -> the local date it was built for
        self._stale: set[str] = set()  # institutions to build again (kept over a failure)
        self._next_revisions = self._next_days = 0.0  # monotonic deadlines
        self._paused_until = 0.0  # after a database error

    def built_for(self, institution: str) -> date | None:
        """The local date the institution's config was last built (or checked) for."""
        return self._days.get(institution)

    def publish_all(self) -> None:
        """Ask for every terminal's config at the next `tick` (any thread)."""
        self._everything.set()

    def came_online(self, terminals: Iterable[tuple[str, str]]) -> None:
        """(institution, terminal code) pairs that said "online": a terminal added since
        the ingest connected has no retained config yet."""
        wanted = set(terminals)
        self._guarded(self._came_online, wanted)

    def tick(self) -> None:
        """Publish what is due; never raises (a database outage only delays it)."""
        self._guarded(self._tick)

    def _guarded(self, work: Callable[..., None], *args: object) -> None:
        try:
            work(*args)
        except SQLAlchemyError as exc:
            self._paused_until = time.monotonic() + self.revisions_every_s
            log.warning("keypad configs not checked (%s); trying again later",
                        type(exc).__name__)
        except Exception:
            log.exception("keypad configs not checked")

    def _came_online(self, wanted: set[tuple[str, str]]) -> None:
        with self.sessions() as session:
            self._send(session, self._build(session, {i for i, _ in wanted}), wanted)

    def _tick(self) -> None:
        now = time.monotonic()
        if now < self._paused_until:
            return
        if self._everything.is_set():
            with self.sessions() as session:
                institutions = set(session.scalars(select(Terminal.institution_id)))
                self._send(session, self._build(session, institutions), None)
            self._everything.clear()  # only once done: an outage leaves it asked for
            # Just read: the next checks are a full interval away.
            self._next_revisions = now + self.revisions_every_s
            self._next_days = now + self.days_every_s
            return
        revisions, days = now >= self._next_revisions, now >= self._next_days
        self._stale |= self.lookup.take_changed() & self._days.keys()  # by stamp batches
        if not (self._stale or (self._days and (revisions or days))):
            return
        if revisions:
            self._next_revisions = now + self.revisions_every_s
        if days:
            self._next_days = now + self.days_every_s
        with self.sessions() as session:
            if revisions:
                self.lookup.refresh(session, list(self._days))
                self._stale |= self.lookup.take_changed() & self._days.keys()
            if days:
                moment = self.clock()
                self._stale |= {i for i, day in self._days.items()
                                if self._today(i, moment) != day}
            if self._stale:
                wanted = set(self._stale)
                self._send(session, self._build(session, wanted), set())
                self._stale -= wanted

    def _today(self, institution: str, moment: datetime) -> date:
        return moment.astimezone(self.lookup.zone(institution, moment)).date()

    def _build(self, session: Session, institutions: set[str]) -> dict[str, bytes]:
        """Institution -> its config for the rules in force on its local date."""
        self.lookup.refresh(session, institutions)  # else `rules_on` may give the plugin's
        self.lookup.take_changed(institutions)  # built now: not to be built again next tick
        moment = self.clock()
        built = {}
        for institution in sorted(institutions):
            day = self._days[institution] = self._today(institution, moment)
            policy = self.lookup.rules_on(institution, day)
            if policy is None:
                continue
            try:
                built[institution] = keypad_config(policy, day).encode()
            except LookupError as exc:  # the rules start after today
                log.warning("no keypad config for %s: %s", institution, exc)
        return built

    def _send(self, session: Session, configs: dict[str, bytes],
              only: set[tuple[str, str]] | None) -> None:
        """Each config to all its institution's terminals when it differs from what they
        were sent, else only to the terminals in `only` (all of them when None)."""
        if not configs:
            return
        rows = session.execute(select(Terminal.institution_id, Terminal.code)
                               .where(Terminal.institution_id.in_(sorted(configs)))
                               .order_by(Terminal.institution_id, Terminal.code))
        for institution, code in rows:
            payload = configs[institution]
            if only is None or self._sent.get(institution) != payload \
                    or (institution, code) in only:
                self.publish(topic(institution, code, "config"), payload)
        self._sent.update(configs)
