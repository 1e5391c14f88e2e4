"""The terminals' retained keypad `config` follows the rules in force, with no restart.

Seed 004 (Accademia di Belle Arti di Macerata), the codes typed at the terminal:

    1. premere il codice d'interesse sul tastierino numerico del rilevatore
       (es.: 1, 2, 3, etc);

with the Vademecum's table "1 Uscita per servizio" … "9 Altro" (plugins/academy/
academy.rules). An administrator activates another rule file from the 1st of a month,
or the file itself starts a new `rules from` section at midnight: a running ingest
re-publishes the config (retained, QoS 1) to every terminal of the institution, and
only when it changed. Runs against the machine's Mosquitto, as test_ingest_mqtt.py.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from fake_terminal import BROKER, FakeTerminal, wait_until
from sqlalchemy.orm import Session
from world import world

from server.db import make_engine
from server.db.directory import add_badge, add_terminal
from server.db.models import Employee, User
from server.ingest.service import IngestService
from server.ingest.settings import BrokerSettings
from server.office import rules_upload
from terminals.protocol import ConfigMessage, decode_config

ROME = ZoneInfo("Europe/Rome")
ACADEMY = (Path(__file__).parents[2] / "plugins/academy/academy.rules").read_text()
SEED_004_CODES = [str(n) for n in range(1, 10)]  # "1 Uscita per servizio" … "9 Altro"
# The same rules with a code 10 and a two-minute double-swipe window, from 2026-01-01.
CODE_10 = '''
    code "10" {
        label "Formazione"
        kind service
        entered terminal
        approval director
    }
'''
WIDER = ACADEMY.replace("        direction keys\n",
                        "        direction keys\n        double_swipe 2m\n", 1).replace(
    "    pause {\n", CODE_10 + "\n    pause {\n", 1)
# The same rules, then a section that adds code 10 from 12 May 2026.
FROM_12_MAY = ACADEMY + f'\nrules from 2026-05-12 "Formazione dal 12 maggio" {{{CODE_10}}}\n'


class Clock:
    def __init__(self, local: str) -> None:
        self.set(local)

    def set(self, local: str) -> None:
        self.now = datetime.fromisoformat(local).replace(tzinfo=ROME).astimezone(UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Running:
    service: IngestService
    terminal: FakeTerminal
    clock: Clock
    web: sa.Engine

    def config(self) -> ConfigMessage:
        return decode_config(self.terminal.configs[-1])

    def codes(self) -> list[str]:
        return sorted((c.code for c in self.config().codes), key=int)

    def activate(self, file_name: str, source: str, active_from: date) -> None:
        """What the administrator's rules page does, in the web's own process."""
        with Session(self.web) as session:
            admin = session.scalars(sa.select(User).where(
                User.username == "academy.admin")).one()
            draft = rules_upload.upload_rules(session, admin, file_name, source)
            rules_upload.activate(session, admin, draft.id, active_from, now=self.clock())
            session.commit()


@pytest.fixture
def running(db_url: str, db_engine: sa.Engine) -> Iterator[Running]:
    """The academy with one terminal; an ingest running on a clock the test drives, on
    4 May 2026 at 10:00 in Macerata; the terminal has read its retained config."""
    code = f"t{uuid.uuid4().hex[:10]}"  # unique: no retained message of another run
    with Session(db_engine) as session:
        world(session, "academy")
        add_terminal(session, "academy", code)
        session.commit()
    clock = Clock("2026-05-04T10:00:00")
    broker = BrokerSettings(host=BROKER[0], port=BROKER[1],
                            client_id=f"ingest-{uuid.uuid4().hex[:8]}", session_expiry_s=60)
    service = IngestService(db_engine, broker, clock=clock, recompute=False)
    service.keypad.days_every_s = 0.2  # a minute in production: the test cannot wait
    web = make_engine(db_url)
    service.start()
    assert service.connected.wait(10), "Mosquitto must be running at 127.0.0.1:1883"
    terminal = FakeTerminal("academy", code)
    try:
        wait_until(lambda: bool(terminal.configs))
        yield Running(service, terminal, clock, web)
    finally:
        terminal.close()
        service.stop()
        web.dispose()


def test_the_seed_004_codes_come_from_the_plugin_until_an_activation(
        running: Running) -> None:
    assert running.codes() == SEED_004_CODES
    assert running.config().rules_from == "2026-01-01"
    assert running.config().double_swipe_s == 0


def test_an_activated_rule_file_reaches_the_terminal_keypad_within_seconds(
        running: Running) -> None:
    """The administrator activates, from 1 May, a file with a code 10 and a two-minute
    double-swipe window; no stamp arrives: the ingest sees the revision change on its
    own (every 2 s) and the terminal gets the new table."""
    running.activate("academy-10.rules", WIDER, date(2026, 5, 1))
    started = time.monotonic()
    wait_until(lambda: len(running.terminal.configs) == 2, timeout=6)
    assert time.monotonic() - started < 5
    assert running.codes() == [*SEED_004_CODES, "10"]
    assert running.config().double_swipe_s == 120


def test_an_activation_from_next_month_reaches_the_keypad_when_its_month_starts(
        running: Running) -> None:
    """Activated on 4 May from 1 June: May keeps the seed 004 table; at midnight on
    1 June (Rome) the terminal gets code 10."""
    running.clock.set("2026-05-31T23:59:30")
    running.activate("academy-10.rules", WIDER, date(2026, 6, 1))
    time.sleep(3)  # a revision check (2 s) and several day checks (0.2 s) pass
    assert len(running.terminal.configs) == 1
    running.clock.set("2026-06-01T00:00:30")
    wait_until(lambda: len(running.terminal.configs) == 2, timeout=5)
    assert running.codes() == [*SEED_004_CODES, "10"]


def test_midnight_into_a_new_rules_from_section_republishes_the_keypad_codes(
        running: Running) -> None:
    """A file active from 1 May whose `rules from 2026-05-12` section adds code 10: its
    May section is the seed 004 table the terminal already holds, so the activation
    sends nothing; 00:00 on 12 May in Macerata (22:00 UTC the day before) sends code 10."""
    running.clock.set("2026-05-11T23:59:50")
    running.activate("academy-may.rules", FROM_12_MAY, date(2026, 5, 1))
    time.sleep(3)
    assert len(running.terminal.configs) == 1
    running.clock.set("2026-05-12T00:00:10")
    wait_until(lambda: len(running.terminal.configs) == 2, timeout=5)
    assert running.codes() == [*SEED_004_CODES, "10"]
    assert running.config().rules_from == "2026-05-12"


def test_an_unchanged_day_or_a_new_badge_publishes_no_config(
        running: Running, db_engine: sa.Engine) -> None:
    """Midnight into a day under the same section, and a badge issued (which bumps the
    institution's revision too): the config is built again, found equal, not sent."""
    keypad = running.service.keypad
    running.clock.set("2026-05-05T00:00:30")
    wait_until(lambda: keypad.built_for("academy") == date(2026, 5, 5))
    with Session(running.web) as session:
        ann = session.scalars(sa.select(Employee).where(
            Employee.institution_id == "academy", Employee.number == "ANN")).one()
        add_badge(session, ann, "A1")
        session.commit()
    time.sleep(3)  # a revision check passes
    assert len(running.terminal.configs) == 1
