"""Who may touch which topic: one rule set for Mosquitto's ACL file and the embedded broker.

A terminal writes only under its own topic prefix (stamp, status, query) and
reads only what the server sends it (ack, config, reply); the server's own
user reads and writes everything under `timbra/`. Both brokers are fed from
these grants, so the embedded broker of `make run` enforces what production does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from terminals.protocol import ROOT, Kind, topic

# Terminal usernames are always `<institution>.<terminal>`; a name without a dot can
# never be one, so the server's user cannot collide with a terminal added later.
SERVER_USER = "timbra-server"
# Mosquitto makes a client's id its username (`use_username_as_clientid`), so each server
# process that is connected at the same time (the ingests sharing a subscription) logs in
# as a user of its own: timbra-server, timbra-server-2, timbra-server-3, ...
_SERVER_NAME = re.compile(r"timbra-server(?:-(?:[2-9]|[1-9][0-9]+))?")


def server_users(count: int) -> list[str]:
    return [SERVER_USER] + [f"{SERVER_USER}-{n}" for n in range(2, count + 1)]


def is_server_user(username: str) -> bool:
    return _SERVER_NAME.fullmatch(username) is not None

Access = Literal["read", "write", "readwrite"]

TERMINAL_WRITES: tuple[Kind, ...] = ("stamp", "status", "query")
TERMINAL_READS: tuple[Kind, ...] = ("ack", "config", "reply")


@dataclass(frozen=True)
class Grant:
    access: Access
    topic: str  # may end in `#`


def server_grants() -> tuple[Grant, ...]:
    return (Grant("readwrite", f"{ROOT}/#"),)


def terminal_grants(institution: str, terminal: str) -> tuple[Grant, ...]:
    writes = tuple(Grant("write", topic(institution, terminal, k)) for k in TERMINAL_WRITES)
    reads = tuple(Grant("read", topic(institution, terminal, k)) for k in TERMINAL_READS)
    return writes + reads


def grants_for(username: str) -> tuple[Grant, ...]:
    """The grants of a broker user; an unknown shape of name gets none."""
    if is_server_user(username):
        return server_grants()
    institution, dot, terminal = username.partition(".")
    if not dot or not institution or not terminal or "." in terminal:
        return ()
    return terminal_grants(institution, terminal)


def permits(grants: tuple[Grant, ...], topic_name: str, access: Literal["read", "write"]) -> bool:
    """Whether `grants` allow `access` to the concrete topic (or exact filter) `topic_name`."""
    return any(
        access in grant.access and _matches(grant.topic, topic_name) for grant in grants
    )


def _matches(pattern: str, name: str) -> bool:
    # Only the wildcards our grants use: a trailing `#`, and `+` for a whole level.
    wanted, given = pattern.split("/"), name.split("/")
    for index, level in enumerate(wanted):
        if level == "#":
            return len(given) >= index
        if index >= len(given) or level not in ("+", given[index]):
            return False
    return len(given) == len(wanted)
