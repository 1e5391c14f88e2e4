"""The broker passwords of the demo's simulated terminals, kept beside their queues.

A real terminal keeps the password `timbra terminals add` printed in its YAML
file; the database keeps only its hash. The demo's terminals do the same with
a file each (owner-only), so they can log in to a Mosquitto configured by
`timbra terminals mosquitto` and to the embedded broker of `timbra run`: both read the
hashes.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from server.db.broker_passwords import hash_password, new_password
from server.db.models import Terminal


def terminal_password(engine: Engine, folder: Path, institution_id: str, code: str) -> str:
    """The terminal's password from its file; a new one (hash stored) when there is none."""
    path = folder / f"{institution_id}.{code}.password"
    if path.exists():
        return path.read_text().strip()
    password = new_password()
    with Session(engine) as session, session.begin():
        terminal = session.scalars(select(Terminal).where(
            Terminal.institution_id == institution_id, Terminal.code == code)).one()
        terminal.password_hash = hash_password(password)
    folder.mkdir(parents=True, exist_ok=True)
    # Written owner-only from the start: never world-readable, not even for a moment.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(password + "\n")
    return password
