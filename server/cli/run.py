"""`timbra run`: the server with its demo, as `make run` starts it.

Database (SQLite by default), migrations, demo data, a broker (the embedded
one unless `TIMBRA_MQTT_URL` names Mosquitto), the ingest service, and two
simulated terminals swiping demo badges every few seconds, so a person sees
stamps arrive and day results change.
"""

from __future__ import annotations

import argparse
import logging
import random
import signal
import sys
import threading
from contextlib import ExitStack
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from server.broker.acl import SERVER_USER
from server.broker.embedded import EmbeddedBroker, EmbeddedBrokerError
from server.broker.mosquitto import write_password_file
from server.days.rules_in_force import policy_at
from server.db import make_engine, upgrade
from server.db.broker_passwords import new_password
from server.db.directory import terminal_username
from server.db.models import Badge, DayResultRow, Employee
from server.db.models import Stamp as StampRow
from server.demo.load import DemoTerminal, load_demo
from server.demo.stamps import demo_stamps
from server.demo.terminal_secrets import terminal_password
from server.demo.users import DemoUser, create_demo_users, print_demo_users
from server.ingest.service import IngestService
from server.ingest.settings import BrokerSettings, SettingsError
from server.minutes import hours
from server.private_files import private_dir
from server.settings import DEFAULT_WEB_PORT, database_url, mqtt_url
from terminals.config import BrokerConfig
from terminals.link import Link
from terminals.outbox import Outbox

EMBEDDED_PORT = 18830  # not 1883, so it never fights a Mosquitto already on the machine
TERMINALS_FOLDER = Path("timbra-data") / "terminals"  # the simulated terminals' queues, passwords
BROKER_FOLDER = Path("timbra-data") / "broker"  # the embedded broker's password file


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("run", help="start the server with its demo (make run)")
    parser.add_argument("--port", type=int, default=EMBEDDED_PORT,
                        help=f"embedded broker port (default {EMBEDDED_PORT})")
    parser.add_argument("--swipe-every", type=float, default=5.0,
                        help="seconds between simulated swipes (default 5)")
    parser.add_argument("--report-every", type=float, default=10.0,
                        help="seconds between the printed day results (default 10)")
    parser.add_argument("--web-port", type=int, default=DEFAULT_WEB_PORT,
                        help=f"web pages on 127.0.0.1:PORT (default {DEFAULT_WEB_PORT})")
    parser.add_argument("--no-terminals", action="store_true",
                        help="do not start the two simulated terminals")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Imported when `run` runs, not when the commands register: the web stack takes
    # seconds to import, which every other command (`timbra ingest`, `recompute`, `db`)
    # would pay at each start.
    from server.web.serve import WebServerError, serve_web

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    engine = make_engine(database_url())
    upgrade(engine)
    live = load_demo(engine, date.today())
    demo_users = create_demo_users(engine)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    with ExitStack() as stack:
        try:
            broker = _broker(args, stack, engine, [] if args.no_terminals else live)
        except (EmbeddedBrokerError, SettingsError) as exc:
            print(f"timbra run: {exc}", file=sys.stderr)
            return 2
        try:
            # Plain http on this machine only, so no Secure cookies: browsers would drop them.
            web = stack.enter_context(serve_web(engine, port=args.web_port,
                                                secure_cookies=False))
        except WebServerError as exc:
            print(f"timbra run: {exc}", file=sys.stderr)
            return 2
        service = stack.enter_context(IngestService(engine, broker))
        if not service.connected.wait(15):
            print(f"timbra run: cannot reach the broker at {broker.redacted()}", file=sys.stderr)
            return 2
        simulated = [] if args.no_terminals else live
        links = [_terminal(stack, engine, demo, broker) for demo in simulated]
        for link, demo in zip(links, simulated, strict=True):
            _this_morning(engine, link, demo)
        _banner(broker, links, web, demo_users, args.report_every)
        swiper = threading.Thread(target=_swipe,
                                  args=(links, simulated, args.swipe_every, stop), daemon=True)
        swiper.start()
        while not stop.wait(args.report_every):
            _report(engine, live, service)
    return 0


def _broker(args: argparse.Namespace, stack: ExitStack, engine: Engine,
            live: list[DemoTerminal]) -> BrokerSettings:
    url = mqtt_url()
    if url:
        return BrokerSettings.from_url(url)
    # The embedded broker asks for credentials too: the terminals' from the database (the
    # simulated ones get theirs first), the server's made for this run only.
    for demo in live:
        terminal_password(engine, TERMINALS_FOLDER, demo.institution, demo.code)
    server_password = new_password()
    with Session(engine) as session:
        passwd = write_password_file(session, BROKER_FOLDER / "passwd", server_password)
    embedded = stack.enter_context(EmbeddedBroker("127.0.0.1", args.port,
                                                  password_file=passwd))
    # amqtt speaks MQTT 3.1.1 and queues messages only for clients with a username.
    return BrokerSettings(host=embedded.host, port=embedded.port, username=SERVER_USER,
                          password=server_password, protocol=4)


def _terminal(stack: ExitStack, engine: Engine, demo: DemoTerminal,
              broker: BrokerSettings) -> Link:
    folder = private_dir(TERMINALS_FOLDER)
    outbox = Outbox(folder / f"{demo.code}.sqlite", demo.code)
    stack.callback(outbox.close)
    config = BrokerConfig(host=broker.host, port=broker.port,
                          username=terminal_username(demo.institution, demo.code),
                          password=terminal_password(engine, folder, demo.institution,
                                                     demo.code),
                          protocol="5" if broker.protocol == 5 else "3.1.1")
    link = Link(outbox, institution=demo.institution, broker=config, heartbeat_seconds=15,
                resend_seconds=10)
    link.start()
    stack.callback(link.stop)
    return link


def _this_morning(engine: Engine, link: Link, demo: DemoTerminal) -> None:
    """Swipes already "made" today, queued with their own times, unless today has stamps."""
    now = datetime.now().astimezone()
    with Session(engine) as session:
        seen = session.scalar(select(func.count()).select_from(StampRow).where(
            StampRow.local_date == now.date(), StampRow.badge.in_(demo.badges)))
    if seen:
        return
    for badge in demo.badges:
        for stamp in demo_stamps(now.year, now.month, badge, None).get(now.date(), []):
            at = now.replace(hour=stamp.minute // 60, minute=stamp.minute % 60, second=0)
            if at < now:
                link.stamp(badge, stamp.direction, stamp.code, at=at)


def _swipe(links: list[Link], live: list[DemoTerminal], every: float,
           stop: threading.Event) -> None:
    rng = random.Random()
    # Live swipes come without a direction ("indifferentemente", seed 001).
    while links and not stop.wait(every):
        index = rng.randrange(len(links))
        link, demo = links[index], live[index]
        link.stamp(rng.choice(demo.badges))


def _banner(broker: BrokerSettings, links: list[Link], web: str,
            demo_users: list[DemoUser], report_every: float) -> None:
    print("timbra is running / timbra è in esecuzione")
    print(f"  database: {database_url()}")
    print(f"  broker:   {broker.redacted()}")
    for link in links:
        print(f"  terminal: {link.institution}/{link.terminal} (simulated, swiping demo badges)")
    if links and mqtt_url():
        print("  With timbra's Mosquitto files, regenerate them once so the simulated terminals"
              " may log in: timbra terminals mosquitto --out DIR (passwords in"
              " timbra-data/terminals/*.password)")
    print_demo_users(web, demo_users)
    print(f"Day results are printed below every {report_every:g} s. Ctrl+C to stop.",
          flush=True)


def _report(engine: Engine, live: list[DemoTerminal], service: IngestService) -> None:
    with Session(engine) as session:
        for demo in live:
            # The institution's own day: past 23:00 UTC it is already tomorrow in Rome.
            today = policy_at(session, demo.institution, datetime.now(UTC))[1]
            rows = session.execute(
                select(Badge.code, Employee.name, DayResultRow.worked, DayResultRow.due,
                       DayResultRow.stamps_seen)
                .join(Employee, Employee.id == Badge.employee_id)
                .join(DayResultRow, (DayResultRow.employee_id == Employee.id)
                      & (DayResultRow.day == today))
                .where(Badge.code.in_(demo.badges)))
            for badge, name, worked, due, seen in rows:
                print(f"  {today} {demo.institution:<10} {badge} {name:<20} "
                      f"stamps {seen}  worked {hours(worked)}  due {hours(due)}")
    stats = service.stats
    print(f"ingest: stored {stats.stored}, duplicates {stats.duplicates}, "
          f"rejected {stats.rejected}, days recomputed {service.recomputer.recomputed}", flush=True)
