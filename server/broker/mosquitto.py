"""Mosquitto's configuration for timbra, generated from the database.

Three files: `mosquitto.conf` (the broker settings timbra relies on), `passwd`
(one `username:$7$…` line per terminal, the hash copied from the database, plus
the server's own user) and `acl` (each terminal confined to its own topics).
Regenerate them after adding a terminal, then send mosquitto SIGHUP: it rereads
the password and ACL files without dropping connections or queued messages.
See docs/mosquitto.md.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.broker.acl import (
    SERVER_USER,
    Grant,
    server_grants,
    server_users,
    terminal_grants,
)
from server.db.broker_passwords import hash_password, new_password
from server.db.models import Terminal

CONF_NAME, PASSWD_NAME, ACL_NAME = "mosquitto.conf", "passwd", "acl"

# QoS 1 messages Mosquitto holds per client beyond those in flight. Its default, 1000,
# silently drops stamps as soon as the ingest falls 1000 behind or is restarted during
# a burst. A million stamps of ~200 bytes is a few hundred MB at worst: a bound that
# still protects the broker's memory from a flood.
MAX_QUEUED_MESSAGES = 1_000_000
# Outgoing QoS 1 messages unacknowledged at once, per client. The ingest acknowledges
# after its commit, so this caps its batch size (MQTT 3.1.1 sessions; an MQTT 5 client
# sets its own Receive Maximum). Mosquitto's default of 20 would cap batches at 20.
MAX_INFLIGHT_MESSAGES = 1000

CONF_TEMPLATE = """\
# Mosquitto configuration for timbra, written by `timbra terminals mosquitto`.
# Regenerate rather than edit: see docs/mosquitto.md. Needs Mosquitto 2.0 or newer.

per_listener_settings false
listener {port} {bind}
# A client's id is its username: a terminal's credentials can never take the server's
# client id (taking it would disconnect the ingest and end its session). Every server
# process therefore logs in with a broker user of its own.
use_username_as_clientid true
# Stamps are acknowledged by the server, not by the broker, so latency matters more
# than packet count.
set_tcp_nodelay true

# Every client logs in: terminals with the credentials `timbra terminals add` printed,
# the server as `{server_user}`.
allow_anonymous false
password_file {passwd}
acl_file {acl}

# Keep sessions and queued messages across a planned restart (saved on exit and every
# minute). A `kill -9` still loses what came since the last save: terminals keep each
# stamp until the server's ack names it, so the broker is never the only copy.
persistence true
persistence_location {data}/
autosave_interval 60

# Do not drop QoS 1 messages for a slow or disconnected subscriber (the ingest).
max_queued_messages {max_queued}
max_queued_bytes 0
max_inflight_messages {max_inflight}
queue_qos0_messages false

# A persistent session that has not reconnected for this long is removed: long enough
# for a terminal switched off over the summer closure, short enough that a scrapped
# one does not pile up messages forever.
persistent_client_expiration {expiration}
"""


@dataclass(frozen=True)
class BrokerSettings:
    """The parts of mosquitto.conf that depend on the installation."""

    port: int = 1883
    bind: str = "0.0.0.0"
    data_dir: Path | None = None  # persistence_location; defaults to <out>/data
    expiration: str = "45d"
    max_queued_messages: int = MAX_QUEUED_MESSAGES
    max_inflight_messages: int = MAX_INFLIGHT_MESSAGES
    # The account mosquitto switches to when started as root (its default: `mosquitto`);
    # it must be able to read passwd and acl and write data_dir.
    user: str | None = None
    # Local additions kept out of the generated file (a TLS listener, logging): every
    # `*.conf` in this directory is read too.
    include_dir: Path | None = None


def render_conf(settings: BrokerSettings, passwd: Path, acl: Path, data_dir: Path) -> str:
    return CONF_TEMPLATE.format(
        port=settings.port, bind=settings.bind, server_user=SERVER_USER,
        passwd=passwd, acl=acl, data=str(data_dir).rstrip("/"),
        max_queued=settings.max_queued_messages, max_inflight=settings.max_inflight_messages,
        expiration=settings.expiration,
    ) + (f"\n# Started as root, mosquitto runs as this account.\nuser {settings.user}\n"
         if settings.user else "") + (
        f"\n# Local additions (TLS listener, logging…), not regenerated.\n"
        f"include_dir {settings.include_dir}\n" if settings.include_dir else "")


def render_passwd(users: Iterable[tuple[str, str]]) -> str:
    """`username:hash` lines; the hashes are already in Mosquitto's `$7$` format."""
    return "".join(f"{username}:{stored}\n" for username, stored in users)


def render_acl(entries: Iterable[tuple[str, tuple[Grant, ...]]]) -> str:
    lines = ["# Written by `timbra terminals mosquitto`; regenerate rather than edit.",
             "# No `topic` line before the first `user`: anonymous clients get nothing."]
    for username, grants in entries:
        lines.append("")
        lines.append(f"user {username}")
        lines.extend(f"topic {grant.access} {grant.topic}" for grant in grants)
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class WrittenConfig:
    conf: Path
    passwd: Path
    acl: Path
    terminals: int
    server_password: str | None  # set only when a new one was made: show it once


def write_config(session: Session, out_dir: Path, settings: BrokerSettings | None = None, *,
                 server_password: str | None = None, server_count: int = 1) -> WrittenConfig:
    """Write the three files into `out_dir` from the terminals in the database.

    The server user's hash is, in order: made from `server_password` if given; kept
    from an existing `passwd` in `out_dir`, so regenerating does not change it; or made
    from a new random password, returned so the caller shows it once. `server_count`
    server users share it (`timbra-server`, `timbra-server-2`, ...): one per ingest
    process sharing the subscription, since the broker makes each client's id its name.
    """
    settings = settings or BrokerSettings()
    out_dir = out_dir.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    data_dir = (settings.data_dir or out_dir / "data").resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    conf, passwd, acl = out_dir / CONF_NAME, out_dir / PASSWD_NAME, out_dir / ACL_NAME

    created: str | None = None
    if server_password is not None:
        server_hash = hash_password(server_password)
    elif (kept := _existing_hash(passwd, SERVER_USER)) is not None:
        server_hash = kept
    else:
        created = new_password()
        server_hash = hash_password(created)

    terminals = _terminals(session)
    servers = server_users(server_count)
    entries = [(name, server_grants()) for name in servers] + [
        (t.username, terminal_grants(t.institution_id, t.code)) for t in terminals]

    _write_private(passwd, render_passwd(_users(terminals, server_hash, servers)))
    _write_private(acl, render_acl(entries))
    _write_private(conf, render_conf(settings, passwd, acl, data_dir), mode=0o644)
    return WrittenConfig(conf, passwd, acl, len(terminals), created)


def write_password_file(session: Session, path: Path, server_password: str) -> Path:
    """Only the `passwd` file (0600): the server's user and every terminal in the database.
    `timbra run` gives it to the embedded broker at each start."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_private(path, render_passwd(_users(_terminals(session),
                                              hash_password(server_password))))
    return path


def _terminals(session: Session) -> list[Terminal]:
    return list(session.scalars(
        select(Terminal).order_by(Terminal.institution_id, Terminal.code)))


def _users(terminals: list[Terminal], server_hash: str,
           servers: list[str] | None = None) -> list[tuple[str, str]]:
    return [(name, server_hash) for name in servers or [SERVER_USER]] + [
        (t.username, t.password_hash) for t in terminals]


def _existing_hash(passwd: Path, username: str) -> str | None:
    if not passwd.exists():
        return None
    for line in passwd.read_text(encoding="utf-8").splitlines():
        name, sep, stored = line.partition(":")
        if sep and name == username and stored.startswith("$7$"):
            return stored
    return None


def _write_private(path: Path, text: str, mode: int = 0o600) -> None:
    # Replace atomically, so a SIGHUP during regeneration never reads half a file; 0600
    # because the hashes are secrets too (mosquitto warns about readable password files).
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(temporary, mode)  # an earlier leftover keeps its mode through O_CREAT
    if path.exists():
        # Regenerated as root, the files must stay readable by the `mosquitto` account
        # they were given to, or the next SIGHUP locks every terminal out.
        owner = path.stat()
        with contextlib.suppress(PermissionError):
            os.chown(temporary, owner.st_uid, owner.st_gid)
    os.replace(temporary, path)
