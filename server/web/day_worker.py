"""The web app's own recompute worker: works off the days a change marked dirty.

A rule activation marks every stored day from its date dirty (`server.office.
rules_upload`), too many to compute inside the request. The ingest's workers work them
off when the ingest runs (`timbra recompute` polls; the thread of `timbra run` wakes on
stamps), but the web may run alone. After such a commit the route `kick`s this worker: a
thread that runs `Recomputer` rounds until nothing is dirty, then ends. The app kicks it
once at start too, for marks a stopped process left behind. On PostgreSQL it works only
with the recompute turn (`server.days.turn`): a `timbra recompute` that holds it does
the work instead, and the thread gives the turn back when it ends. On SQLite (`timbra
run`) the ingest's thread may take the same days meanwhile: each writes the same result
and clears only the marks it read (`server.days.dirty.clear_dirty`), done twice, never
lost.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.exc import InterfaceError, OperationalError

from server.days.worker import Recomputer

log = logging.getLogger("timbra.web.recompute")


class DayWorker:
    def __init__(self, engine: Engine) -> None:
        # The account's missing closings are left to `timbra recompute` and the ingest: a
        # page carries the months itself meanwhile.
        self.recomputer = Recomputer(engine, lambda: datetime.now(UTC), fill_accounts=False)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._again = False

    def kick(self) -> None:
        """Work off what is dirty now, in the background; a kick while working means one
        more pass after the current one."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                self._again = True
                return
            self._again = False
            self._thread = threading.Thread(target=self._run, name="timbra-web-recompute",
                                            daemon=True)
            self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        try:
            self._rounds()
        finally:
            # Between kicks the turn is free: a `timbra recompute` beside the web takes it
            # (and while it has it, a kick finds the days already in its hands).
            self.recomputer.turn.release()

    def _rounds(self) -> None:
        while True:
            try:
                while self.recomputer.run_once():
                    pass
            except (OperationalError, InterfaceError) as exc:
                # The marks stay: the next kick, or an ingest worker, takes them.
                log.warning("database unavailable for recompute (%s)", type(exc).__name__)
            except Exception:
                log.exception("recompute failed; the days stay marked and are retried")
            with self._lock:
                if not self._again:
                    return
                self._again = False
