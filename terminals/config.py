"""The terminal's YAML configuration, checked key by key.

A terminal is installed by someone with a text editor and no debugger, so a
bad file must say which key is wrong and why, in one line, with no traceback.
Unknown keys are errors too: a misspelt `heartbeat_secnds` silently ignored
would leave the default in force.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from terminals.protocol import MAX_SEQ, valid_name
from terminals.reader import DIRECTION_MODES, DirectionMode

ProtocolVersion = Literal["auto", "5", "3.1.1"]
PROTOCOL_VERSIONS: tuple[str, ...] = ("auto", "5", "3.1.1")


class ConfigError(ValueError):
    """A configuration a person must fix; the message names the file and the key."""


@dataclass(frozen=True)
class BrokerConfig:
    """Where the MQTT broker is and how to log in.

    `protocol` "auto" tries MQTT 5 and falls back to 3.1.1 when the broker
    does not answer a v5 CONNECT (the embedded amqtt broker speaks only 3.1.1).
    """

    host: str = "127.0.0.1"
    port: int = 1883
    username: str | None = None
    password: str | None = None
    tls: bool = False
    ca_file: str | None = None
    protocol: ProtocolVersion = "auto"
    keepalive: int = 30


@dataclass(frozen=True)
class TerminalConfig:
    institution: str
    terminal: str
    outbox: Path
    broker: BrokerConfig = field(default_factory=BrokerConfig)
    direction: DirectionMode = "any"
    heartbeat_seconds: float = 30.0
    resend_seconds: float = 60.0
    code_timeout_seconds: float = 10.0
    first_seq: int | None = None  # None: a new queue file asks the server where to start
    timezone: str | None = None  # None: the box's local time zone

    def zone(self) -> ZoneInfo | None:
        return ZoneInfo(self.timezone) if self.timezone else None

    def now(self) -> datetime:
        """The terminal's clock with its UTC offset, in the configured time zone."""
        zone = self.zone()
        return datetime.now(zone) if zone else datetime.now().astimezone()


_TOP_KEYS = {"institution", "terminal", "outbox", "broker", "direction", "heartbeat_seconds",
             "resend_seconds", "code_timeout_seconds", "first_seq", "timezone"}
_BROKER_KEYS = {"host", "port", "username", "password", "tls", "ca_file", "protocol",
                "keepalive"}

T = TypeVar("T")


def load_config(path: str | Path) -> TerminalConfig:
    """Read and check a configuration file; relative paths in it are relative to the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the file ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: the file is not UTF-8 text") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"{path}: not valid YAML{where}: {problem}") from None
    return parse_config(data, source=str(path), base=path.parent)


def parse_config(data: object, *, source: str = "config",
                 base: Path | None = None) -> TerminalConfig:
    """Check an already-parsed mapping (as `yaml.safe_load` returns it)."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: expected a mapping of keys (institution, terminal, …)")
    _unknown(data, _TOP_KEYS, source, "")
    institution = _name(data, "institution", source)
    terminal = _name(data, "terminal", source)
    outbox = Path(_required(data, "outbox", str, source))
    if not outbox.is_absolute() and base is not None:
        outbox = base / outbox
    direction = _get(data, "direction", str, "any", source)
    if direction not in DIRECTION_MODES:
        raise ConfigError(f"{source}: 'direction' must be one of {', '.join(DIRECTION_MODES)}"
                          f", not {direction!r}")
    timezone = _get(data, "timezone", str, None, source)
    if timezone is not None:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"{source}: 'timezone' {timezone!r} is not a known time zone"
                              " (e.g. Europe/Rome)") from None
    first_seq = _get(data, "first_seq", int, None, source)
    if first_seq is not None and not 1 <= first_seq <= MAX_SEQ:
        raise ConfigError(f"{source}: 'first_seq' must be from 1 to 2^63-1")
    return TerminalConfig(
        institution=institution,
        terminal=terminal,
        outbox=outbox,
        broker=_broker(data.get("broker", {}), source),
        direction=direction,  # checked against DIRECTION_MODES above
        heartbeat_seconds=_seconds(data, "heartbeat_seconds", 30.0, source),
        resend_seconds=_seconds(data, "resend_seconds", 60.0, source),
        code_timeout_seconds=_seconds(data, "code_timeout_seconds", 10.0, source),
        first_seq=first_seq,
        timezone=timezone,
    )


def _broker(data: object, source: str) -> BrokerConfig:
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: 'broker' must be a mapping (host, port, …)")
    _unknown(data, _BROKER_KEYS, source, "broker.")
    port = _get(data, "port", int, 1883, source, "broker.")
    if not 1 <= port <= 65535:
        raise ConfigError(f"{source}: 'broker.port' must be from 1 to 65535, not {port}")
    protocol = str(_get(data, "protocol", (str, int, float), "auto", source, "broker."))
    if protocol not in PROTOCOL_VERSIONS:
        raise ConfigError(f"{source}: 'broker.protocol' must be one of "
                          f"{', '.join(PROTOCOL_VERSIONS)}, not {protocol!r}")
    keepalive = _get(data, "keepalive", int, 30, source, "broker.")
    if not 5 <= keepalive <= 3600:
        raise ConfigError(f"{source}: 'broker.keepalive' must be from 5 to 3600 seconds")
    password = _get(data, "password", (str, int), None, source, "broker.")
    return BrokerConfig(
        host=_get(data, "host", str, "127.0.0.1", source, "broker."),
        port=port,
        username=_get(data, "username", str, None, source, "broker."),
        password=None if password is None else str(password),
        tls=_get(data, "tls", bool, False, source, "broker."),
        ca_file=_get(data, "ca_file", str, None, source, "broker."),
        protocol=protocol,  # type: ignore[arg-type]  # checked against PROTOCOL_VERSIONS
        keepalive=keepalive,
    )


_TYPE_NAMES = {str: "text", int: "a whole number", float: "a number", bool: "true or false"}


def _get(data: Mapping[str, Any], key: str, kind: type[T] | tuple[type, ...], default: Any,
         source: str, prefix: str = "") -> Any:
    value = data.get(key, default)
    if value is None or value is default:
        return value
    kinds = kind if isinstance(kind, tuple) else (kind,)
    # bool is an int in Python, but `port: yes` is a mistake, not port 1.
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        wanted = " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in kinds)
        raise ConfigError(f"{source}: '{prefix}{key}' must be {wanted}, not {value!r}")
    return value


def _required(data: Mapping[str, Any], key: str, kind: type[T], source: str) -> T:
    if data.get(key) is None:
        raise ConfigError(f"{source}: '{key}' is missing")
    value: T = _get(data, key, kind, None, source)
    return value


def _name(data: Mapping[str, Any], key: str, source: str) -> str:
    value = _required(data, key, str, source)
    if not valid_name(value):
        raise ConfigError(f"{source}: '{key}' {value!r} must be lowercase letters, digits, "
                          "'-' or '_', starting with a letter or digit, at most 40 characters")
    return value


def _seconds(data: Mapping[str, Any], key: str, default: float, source: str) -> float:
    value = float(_get(data, key, (int, float), default, source))
    if value <= 0:
        raise ConfigError(f"{source}: '{key}' must be a positive number of seconds")
    return value


def _unknown(data: Mapping[str, Any], known: set[str], source: str, prefix: str) -> None:
    extra = sorted(str(k) for k in data if k not in known)
    if extra:
        raise ConfigError(f"{source}: unknown key '{prefix}{extra[0]}' "
                          f"(known keys: {', '.join(sorted(known))})")
