"""The installation's web secret (CSRF tokens, session keys): made at first start, kept in
the data directory with owner-only permissions, never in the repository and never logged."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from server.private_files import private_dir

FILE_NAME = "web-secret"


def load_or_create_secret(data_dir: Path) -> str:
    path = private_dir(data_dir) / FILE_NAME
    # O_EXCL: of two processes starting together, one writes and the other reads.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read(path)
    text = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(text + "\n")
    return text


def _read(path: Path) -> str:
    for _ in range(50):  # the writer may be between open and write
        text = path.read_text(encoding="ascii").strip()
        if len(text) >= 32:
            return text
        time.sleep(0.1)
    raise RuntimeError(f"{path} holds no usable secret; remove it to have a new one made")
