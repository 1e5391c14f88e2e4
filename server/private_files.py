"""Files and folders only timbra's own account may read: the SQLite database, the web
secret, the sessions, the simulated terminals' passwords. Created 0600/0700 whatever the
umask, and tightened when an older version left them readable by others (0644)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

FILE_MODE, DIR_MODE = 0o600, 0o700


def private_dir(path: Path) -> Path:
    """`path` (and missing parents) as a folder only its owner may enter."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    _tighten(path, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """`path` as a file only its owner may read, created empty if missing."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    _tighten(path, FILE_MODE)
    return path


def _tighten(path: Path, mode: int) -> None:
    # Someone else's file (a shared folder, root's) is left as it is: not ours to change.
    with contextlib.suppress(PermissionError):
        if path.stat().st_mode & 0o077:
            path.chmod(mode)
