"""What a terminal's link tells the program, on paho's network thread: a stamp acknowledged,
a reply to a query, the retained configuration, the connection going up or down."""

from __future__ import annotations

from dataclasses import dataclass

from terminals.protocol import AckItem, ConfigMessage, ReplyMessage


@dataclass(frozen=True)
class Acked:
    """The server answered for one stamp; it has left the outbox."""

    item: AckItem


@dataclass(frozen=True)
class Replied:
    """The server's answer to `Link.query`: a badge's last stamps."""

    reply: ReplyMessage


@dataclass(frozen=True)
class Configured:
    """The retained configuration: the keypad's code table and the direction mode."""

    config: ConfigMessage


@dataclass(frozen=True)
class ConnectionChanged:
    connected: bool
    detail: str


LinkEvent = Acked | Replied | Configured | ConnectionChanged
