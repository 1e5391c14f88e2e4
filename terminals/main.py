"""`timbra-terminal --config terminal.yaml`: the program that runs on the terminal box.

Reads the badge reader (a keyboard wedge: one line per badge) and keypad from
stdin, prints what the display shows on stdout, one message per line. Swiping
never waits for the network: a stamp is stored in the outbox first and shown
as registered, then sent when the broker is reachable.
"""

from __future__ import annotations

import argparse
import logging
import queue
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import datetime
from types import FrameType
from typing import TextIO

from terminals import display
from terminals.config import ConfigError, TerminalConfig, load_config
from terminals.events import Acked, Configured, ConnectionChanged, LinkEvent, Replied
from terminals.link import Link
from terminals.outbox import Outbox, OutboxError
from terminals.reader import DIRECTION_MODES, Event, LastStampsRequest, Reader, Swipe

log = logging.getLogger("terminals")

_EOF = object()
Item = str | LinkEvent | object


class Terminal:
    """The glue between reader, outbox, link and display, driven by one queue."""

    def __init__(self, config: TerminalConfig, link: Link, out: TextIO,
                 items: queue.Queue[Item]) -> None:
        self.config = config
        self.link = link
        self.out = out
        self.reader = Reader(config.direction, timeout=config.code_timeout_seconds)
        self.labels: dict[str, str] = {}
        self.queries: set[str] = set()
        self.items = items

    def now(self) -> datetime:
        return self.config.now()

    def show(self, *lines: str) -> None:
        for line in lines:
            print(line, file=self.out, flush=True)

    def run(self, lines: TextIO) -> None:
        threading.Thread(target=self._read, args=(lines,), daemon=True,
                         name="timbra-stdin").start()
        while True:
            try:
                item = self.items.get(timeout=1.0)
            except queue.Empty:
                self._reader_events(self.reader.tick(self.now()))
                continue
            if item is _EOF:
                return
            if isinstance(item, str):
                self._reader_events(self.reader.feed(item, self.now()))
            else:
                self._link_event(item)

    def _read(self, lines: TextIO) -> None:
        for line in lines:
            self.items.put(line)
        self.items.put(_EOF)

    def _reader_events(self, events: Sequence[Event]) -> None:
        for event in events:
            if isinstance(event, Swipe):
                message = self.link.stamp(event.badge, event.direction, event.code, self.now())
                self.show(display.stamp_recorded(message.time, message.direction,
                                                 message.code, self.labels))
                if not self.link.connected:
                    self.show(display.waiting_for_network(self.link.outbox.count()))
            elif isinstance(event, LastStampsRequest):
                request_id = self.link.query(event.badge)
                if request_id is None:
                    self.show(display.QUERY_OFFLINE)
                else:
                    self.queries.add(request_id)
                    self.show(display.QUERY_SENT)
            else:
                text = display.reader_event(event, self.labels)
                if text:
                    self.show(text)

    def _link_event(self, event: object) -> None:
        if isinstance(event, Acked):
            text = display.ack(event.item)
            if text:
                self.show(text)
        elif isinstance(event, Replied):
            if event.reply.request_id in self.queries:
                self.queries.discard(event.reply.request_id)
                self.show(*display.last_stamps(event.reply, self.labels))
        elif isinstance(event, Configured):
            self._configure(event)
        elif isinstance(event, ConnectionChanged):
            self.show(display.connection(event.connected, self.link.outbox.count()))

    def _configure(self, event: Configured) -> None:
        config = event.config
        self.labels = {c.code: c.label for c in config.codes}
        # The server knows the rules in force; its code table and direction mode
        # replace the local defaults, which only serve until it has spoken.
        self.reader.codes = frozenset(self.labels) if self.labels else None
        if config.direction in DIRECTION_MODES:
            self.reader.mode = config.direction  # type: ignore[assignment]
        log.info("configuration from the server: %s, rules from %s, %d codes",
                 config.name, config.rules_from, len(config.codes))


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="timbra-terminal",
        description="Badge terminal: reads badges and keypad from stdin, queues stamps "
                    "durably and publishes them over MQTT.")
    parser.add_argument("--config", required=True, help="the terminal's YAML file")
    parser.add_argument("--log-level", default="WARNING",
                        choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = load_config(args.config)
        outbox = Outbox(config.outbox, config.terminal, first_seq=config.first_seq)
    except (ConfigError, OutboxError) as exc:
        print(f"timbra-terminal: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"timbra-terminal: error: cannot open the queue {config.outbox}: {exc}",
              file=sys.stderr)
        return 2
    items: queue.Queue[Item] = queue.Queue()
    link = Link(outbox, institution=config.institution, broker=config.broker,
                heartbeat_seconds=config.heartbeat_seconds,
                resend_seconds=config.resend_seconds, on_event=items.put, clock=config.now)
    terminal = Terminal(config, link, sys.stdout, items)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    terminal.show(f"timbra {config.institution}/{config.terminal}",
                  display.waiting_for_network(outbox.count()))
    link.start()
    try:
        terminal.run(sys.stdin)
    except KeyboardInterrupt:
        pass
    finally:
        link.stop()
        outbox.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
