"""What `/readyz` checks: the database (reachable, its schema the code's) and the broker
(answers an MQTT CONNECT). Each check answers one word; why it failed goes to the log,
never to the anonymous caller."""

from __future__ import annotations

import logging
import secrets
import socket
import struct

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from server.db.migrate import schema_state
from server.ingest.settings import BrokerSettings

LOG = logging.getLogger("timbra.web.ready")
OK = "ok"
TIMEOUT_S = 2.0


def database_check(engine: Engine, head: str) -> str:
    try:
        state = schema_state(engine, head)
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        LOG.warning("readiness: database unreachable: %s", type(cause).__name__)
        return "unreachable"
    if not state.up_to_date:
        LOG.warning("readiness: schema %s, code wants %s: run timbra db upgrade",
                    state.current, state.head)
        return "schema out of date"
    return OK


def broker_check(broker: BrokerSettings | None) -> str:
    if broker is None:
        return "not configured"
    try:
        with socket.create_connection((broker.host, broker.port), timeout=TIMEOUT_S) as sock:
            sock.settimeout(TIMEOUT_S)
            sock.sendall(_connect_packet(broker))
            answer = sock.recv(4)
            sock.sendall(b"\xe0\x00")  # DISCONNECT: leave no session behind
    except OSError as exc:
        LOG.warning("readiness: broker %s unreachable: %s", broker.redacted(), exc)
        return "unreachable"
    # Any CONNACK (even "not authorised") proves an MQTT broker is there and answering.
    if answer[:1] != b"\x20":
        LOG.warning("readiness: %s did not answer as an MQTT broker", broker.redacted())
        return "unreachable"
    return OK


def _string(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("!H", len(raw)) + raw


def _connect_packet(broker: BrokerSettings) -> bytes:
    """An MQTT 3.1.1 CONNECT with a clean session (both Mosquitto and amqtt speak it)."""
    flags = 0x02
    payload = _string(f"timbra-readyz-{secrets.token_hex(4)}")
    if broker.username:
        flags |= 0x80
        payload += _string(broker.username)
        if broker.password:
            flags |= 0x40
            payload += _string(broker.password)
    body = _string("MQTT") + bytes([4, flags]) + struct.pack("!H", 10) + payload
    length, encoded = len(body), b""
    while True:  # MQTT's variable-length integer
        digit, length = length % 128, length // 128
        encoded += bytes([digit | (0x80 if length else 0)])
        if not length:
            break
    return b"\x10" + encoded + body
