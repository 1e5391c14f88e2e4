"""The wire between terminals and the server: topics and JSON payloads.

Shared by the terminal program and the server's ingest, and nothing else: it
uses only the standard library so a small terminal box needs no more. The
schema is documented for people in `docs/mqtt.md`; keep the two in step.

Every decoder raises `ProtocolError` with a reason a person can read on a
terminal display or in the rejected-messages list; none lets a raw
`KeyError`/`ValueError` through.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

ROOT = "timbra"
# What may follow timbra/<institution>/<terminal>/.
Kind = Literal["stamp", "ack", "status", "config", "query", "reply"]
KINDS: tuple[str, ...] = ("stamp", "ack", "status", "config", "query", "reply")

MAX_PAYLOAD = 4096  # bytes; a stamp is about 200
MAX_ACK_PAYLOAD = 256 * 1024  # acks come from the server, many items at once
ACK_ITEMS_PER_MESSAGE = 200  # the server splits longer acks
MAX_SEQ = 2**63 - 1  # the terminal's sequence is a signed 64-bit number
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}\Z")  # institution and terminal ids
_BADGE = re.compile(r"[A-Za-z0-9]{1,32}\Z")
_CODE = re.compile(r"[A-Za-z0-9]{1,8}\Z")
_STAMP_ID = re.compile(r"[A-Za-z0-9:._-]{1,64}\Z")

Direction = Literal["in", "out"]
AckStatus = Literal["stored", "duplicate", "conflict", "rejected"]


class ProtocolError(ValueError):
    """A message that does not follow the wire schema; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def topic(institution: str, terminal: str, kind: Kind) -> str:
    return f"{ROOT}/{institution}/{terminal}/{kind}"


def subscription(kind: Kind) -> str:
    """The wildcard the server subscribes to for one kind of message."""
    return f"{ROOT}/+/+/{kind}"


@dataclass(frozen=True)
class Topic:
    institution: str
    terminal: str
    kind: str


def parse_topic(text: str) -> Topic:
    parts = text.split("/")
    if len(parts) != 4 or parts[0] != ROOT:
        raise ProtocolError(f"topic {text!r} is not timbra/<institution>/<terminal>/<kind>")
    _, institution, terminal, kind = parts
    if not _NAME.match(institution) or not _NAME.match(terminal):
        raise ProtocolError(f"topic {text!r} has an invalid institution or terminal id")
    if kind not in KINDS:
        raise ProtocolError(f"topic {text!r}: unknown kind {kind!r}")
    return Topic(institution, terminal, kind)


def valid_name(text: str) -> bool:
    """Whether `text` may be an institution or terminal id in a topic."""
    return bool(_NAME.match(text))


# --- stamp: terminal -> server, QoS 1 -------------------------------------------------


@dataclass(frozen=True)
class StampMessage:
    """One badge swipe, as the terminal recorded it.

    `seq` is the terminal's own 64-bit counter, kept across restarts: the
    server's unique key is (terminal, seq). `id` is the terminal's name for
    the stamp, shown in its log and echoed in the ack.
    """

    terminal: str
    seq: int
    id: str
    badge: str
    time: datetime  # the terminal's clock, with its UTC offset
    direction: Direction | None = None
    code: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "v": 1,
            "terminal": self.terminal,
            "seq": self.seq,
            "id": self.id,
            "badge": self.badge,
            "time": self.time.isoformat(),
            "direction": self.direction,
            "code": self.code,
        }

    def encode(self) -> bytes:
        return _dump(self.to_json())

    def body(self) -> str:
        """What must match for a second message with the same key to be a duplicate.

        The text of `json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))`,
        which bodies stored by earlier versions hold, written out by hand because the
        server computes one per stamp. Valid only for a message `decode_stamp` accepted:
        its strings match patterns without quotes, backslashes or non-ASCII characters,
        so none needs escaping.
        """
        return (f'{{"badge":"{self.badge}","code":{_quoted(self.code)},'
                f'"direction":{_quoted(self.direction)},"id":"{self.id}","seq":{self.seq},'
                f'"terminal":"{self.terminal}","time":"{self.time.isoformat()}","v":1}}')


def decode_stamp(payload: bytes) -> StampMessage:
    data = _load(payload)
    version = data.get("v", 1)
    if version != 1:
        raise ProtocolError(f"unsupported payload version {version!r}")
    terminal = _string(data, "terminal", _NAME)
    seq = data.get("seq")
    if type(seq) is not int or not 1 <= seq <= MAX_SEQ:
        raise ProtocolError("'seq' must be an integer from 1 to 2^63-1")
    direction = data.get("direction")
    if direction not in (None, "in", "out"):
        raise ProtocolError("'direction' must be \"in\", \"out\" or null")
    code = data.get("code")
    if code is not None:
        code = _string(data, "code", _CODE)
    return StampMessage(
        terminal=terminal,
        seq=seq,
        id=_string(data, "id", _STAMP_ID),
        badge=_string(data, "badge", _BADGE),
        time=_aware_time(data, "time"),
        direction=direction,
        code=code,
    )


# --- ack: server -> terminal, QoS 1, only after the commit ----------------------------


@dataclass(frozen=True)
class AckItem:
    seq: int
    status: AckStatus
    display: str  # what the terminal shows: "Timbratura registrata", "Badge sconosciuto"…
    reason: str | None = None


@dataclass(frozen=True)
class AckMessage:
    """Outcomes of stamps, and/or the highest sequence the server committed for the terminal.

    `committed_seq` answers a terminal's "online": a terminal with a new queue
    file sends nothing until it knows it, then numbers its stamps above it.
    """

    items: tuple[AckItem, ...] = ()
    committed_seq: int | None = None

    def encode(self) -> bytes:
        data: dict[str, Any] = {"v": 1, "items": [
            {"seq": i.seq, "status": i.status, "display": i.display, "reason": i.reason}
            for i in self.items]}
        if self.committed_seq is not None:
            data["committed_seq"] = self.committed_seq
        return _dump(data)


def decode_ack(payload: bytes) -> AckMessage:
    data = _load(payload, MAX_ACK_PAYLOAD)
    raw = data.get("items")
    if not isinstance(raw, list):
        raise ProtocolError("'items' must be a list")
    items = []
    for entry in raw:
        if not isinstance(entry, dict):
            raise ProtocolError("each ack item must be an object")
        seq, status = entry.get("seq"), entry.get("status")
        if type(seq) is not int or status not in ("stored", "duplicate", "conflict", "rejected"):
            raise ProtocolError("an ack item needs an integer 'seq' and a known 'status'")
        items.append(AckItem(seq, status, str(entry.get("display", "")), entry.get("reason")))
    committed = data.get("committed_seq")
    if committed is not None and (type(committed) is not int or not 0 <= committed <= MAX_SEQ):
        raise ProtocolError("'committed_seq' must be an integer from 0 to 2^63-1")
    return AckMessage(tuple(items), committed)


# --- status: terminal -> server, retained; the Last Will says offline -----------------


@dataclass(frozen=True)
class StatusMessage:
    state: Literal["online", "offline"]
    time: datetime | None = None  # the terminal's clock when it sent this: gives the skew
    queued: int = 0  # stamps waiting for an ack
    last_seq: int = 0
    software: str = ""

    def encode(self) -> bytes:
        return _dump({
            "v": 1,
            "state": self.state,
            "time": self.time.isoformat() if self.time else None,
            "queued": self.queued,
            "last_seq": self.last_seq,
            "software": self.software,
        })


def decode_status(payload: bytes) -> StatusMessage:
    data = _load(payload)
    state = data.get("state")
    if state not in ("online", "offline"):
        raise ProtocolError("'state' must be \"online\" or \"offline\"")
    time = _aware_time(data, "time") if data.get("time") is not None else None
    queued, last_seq = data.get("queued", 0), data.get("last_seq", 0)
    if type(queued) is not int or type(last_seq) is not int or queued < 0 or last_seq < 0:
        raise ProtocolError("'queued' and 'last_seq' must be non-negative integers")
    return StatusMessage(state, time, queued, last_seq, str(data.get("software", ""))[:64])


# --- config: server -> terminal, retained ---------------------------------------------


@dataclass(frozen=True)
class KeypadCode:
    code: str
    label: str


@dataclass(frozen=True)
class ConfigMessage:
    """What the keypad and display need from the rules in force."""

    institution: str
    name: str
    rules_from: str  # ISO date of the version in force
    direction: str  # keys | alternate | any (seed 001: "indifferentemente")
    double_swipe_s: int
    codes: tuple[KeypadCode, ...] = field(default_factory=tuple)

    def encode(self) -> bytes:
        data = asdict(self)
        data["v"] = 1
        return _dump(data)


def decode_config(payload: bytes) -> ConfigMessage:
    data = _load(payload)
    try:
        codes = tuple(KeypadCode(str(c["code"]), str(c["label"])) for c in data["codes"])
        return ConfigMessage(
            institution=str(data["institution"]),
            name=str(data["name"]),
            rules_from=str(data["rules_from"]),
            direction=str(data["direction"]),
            double_swipe_s=int(data["double_swipe_s"]),
            codes=codes,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ProtocolError(f"config payload is incomplete: {exc}") from None


# --- query/reply: a badge's last stamps (seed 001, F5 "strisciare") -------------------


@dataclass(frozen=True)
class QueryMessage:
    request_id: str
    badge: str

    def encode(self) -> bytes:
        return _dump({"v": 1, "request_id": self.request_id, "badge": self.badge})


def decode_query(payload: bytes) -> QueryMessage:
    data = _load(payload)
    return QueryMessage(_string(data, "request_id", _STAMP_ID), _string(data, "badge", _BADGE))


@dataclass(frozen=True)
class ReplyMessage:
    request_id: str
    badge: str
    display: str
    stamps: tuple[tuple[str, str | None, str | None], ...] = ()  # (local time, dir, code)

    def encode(self) -> bytes:
        return _dump({
            "v": 1,
            "request_id": self.request_id,
            "badge": self.badge,
            "display": self.display,
            "stamps": [{"time": t, "direction": d, "code": c} for t, d, c in self.stamps],
        })


def decode_reply(payload: bytes) -> ReplyMessage:
    data = _load(payload)
    try:
        stamps = tuple((str(s["time"]), s.get("direction"), s.get("code"))
                       for s in data.get("stamps", []))
        return ReplyMessage(str(data["request_id"]), str(data["badge"]),
                            str(data["display"]), stamps)
    except (KeyError, TypeError, AttributeError) as exc:
        raise ProtocolError(f"reply payload is incomplete: {exc}") from None


# --- helpers ----------------------------------------------------------------------------


def _dump(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def _quoted(value: str | None) -> str:
    return "null" if value is None else f'"{value}"'


def _load(payload: bytes, limit: int = MAX_PAYLOAD) -> dict[str, Any]:
    if len(payload) > limit:
        raise ProtocolError(f"payload of {len(payload)} bytes is over {limit}")
    try:
        data = json.loads(payload.decode("utf-8"))
    except UnicodeDecodeError:
        raise ProtocolError("payload is not UTF-8") from None
    except (json.JSONDecodeError, RecursionError):
        raise ProtocolError("payload is not valid JSON") from None
    if not isinstance(data, dict):
        raise ProtocolError("payload must be a JSON object")
    return data


def _string(data: dict[str, Any], key: str, pattern: re.Pattern[str]) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise ProtocolError(f"{key!r} must be a string")
    if not pattern.match(value):
        raise ProtocolError(f"{key!r} has an invalid value {value[:40]!r}")
    return value


def _aware_time(data: dict[str, Any], key: str) -> datetime:
    value = data.get(key)
    if not isinstance(value, str) or len(value) > 40:
        raise ProtocolError(f"{key!r} must be an ISO 8601 time with its UTC offset")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ProtocolError(f"{key!r} is not an ISO 8601 time: {value!r}") from None
    if moment.tzinfo is None:
        raise ProtocolError(f"{key!r} must carry its UTC offset, e.g. +01:00")
    return moment
