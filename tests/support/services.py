"""The PostgreSQL and Mosquitto the tests use, and what to say when one of them is down.

Both addresses can be overridden, so a run can be pointed elsewhere (or, to test the
message itself, at a closed port): TIMBRA_TEST_POSTGRES is a database URL with rights to
create databases, TIMBRA_TEST_MQTT is `host:port`.
"""

from __future__ import annotations

import os
import socket

import sqlalchemy as sa

POSTGRES_ADMIN = os.environ.get("TIMBRA_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
START_POSTGRES = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
START_MOSQUITTO = "mosquitto -d -c /etc/mosquitto/mosquitto.conf"


def mosquitto_address() -> tuple[str, int]:
    host, _, port = os.environ.get("TIMBRA_TEST_MQTT", "127.0.0.1:1883").rpartition(":")
    return host, int(port)


def _postgres_down() -> str | None:
    url = sa.engine.make_url(POSTGRES_ADMIN)
    engine = sa.create_engine(url.set(drivername="postgresql+psycopg"),
                              connect_args={"connect_timeout": 5})
    try:
        with engine.connect():
            return None
    except sa.exc.OperationalError as exc:
        # The driver's first line says why (refused, unknown role, ...); the rest is noise.
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        where = url.render_as_string(hide_password=True)
        return (f"PostgreSQL is missing at {where} (TIMBRA_TEST_POSTGRES): {reason}; "
                f"start it with: {START_POSTGRES}")
    finally:
        engine.dispose()


def _mosquitto_down() -> str | None:
    host, port = mosquitto_address()
    try:
        socket.create_connection((host, port), timeout=5).close()
    except OSError as exc:
        return (f"Mosquitto is missing at {host}:{port} (TIMBRA_TEST_MQTT): {exc.strerror or exc}; "
                f"start it with: {START_MOSQUITTO}")
    return None


def missing_services() -> list[str]:
    """One line per service that does not answer; empty when both do."""
    return [line for line in (_postgres_down(), _mosquitto_down()) if line]
