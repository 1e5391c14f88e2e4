"""`timbra purge` on SQLite and PostgreSQL: rejected messages and audit entries older than
their retention go, younger ones stay, the purge is audited and its own audit entries are
never purged; a dry run and a refused setting change nothing. Stamps are never touched."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.db.models import AuditEntry, RejectedMessage
from server.office.retention import PURGE_ACTION

NOW = datetime.now(UTC)


def seed(engine: sa.Engine) -> None:
    with Session(engine) as session, session.begin():
        for days, seq in ((200, 1), (31, 2), (29, 3), (1, 4)):
            session.add(RejectedMessage(
                received_at=NOW - timedelta(days=days), topic="timbra/school/t1/stamp",
                institution_id="school", terminal_code="t1", seq=seq,
                reason="badge sconosciuto", payload='{"badge": "0042"}'))
        for days, action in ((800, "login_failed"), (400, "request_approved"),
                             (900, PURGE_ACTION), (300, "login_failed"), (2, "login")):
            session.add(AuditEntry(at=NOW - timedelta(days=days), institution_id="school",
                                   action=action, target="x", detail={}))


def purge(url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli.main", "purge", "--database", url, *args],
        env={**os.environ, **env}, capture_output=True, text=True, timeout=60, check=False)


def rejected_seqs(engine: sa.Engine) -> list[int | None]:
    with engine.connect() as connection:
        return sorted(connection.scalars(sa.select(RejectedMessage.seq)))


def audit_ages(engine: sa.Engine) -> list[tuple[str, int]]:
    with engine.connect() as connection:
        rows = connection.execute(sa.select(AuditEntry.action, AuditEntry.at))
        return sorted((action, round((NOW - at.replace(tzinfo=UTC)) / timedelta(days=1)))
                      for action, at in rows)


def test_what_is_older_than_its_retention_goes_and_the_purge_is_audited(
        db_url: str, db_engine: sa.Engine) -> None:
    seed(db_engine)
    dry = purge(db_url, "--rejected-older-than", "30", "--audit-older-than", "365",
                "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would remove 2" in dry.stdout  # two rejected messages, two audit entries
    assert rejected_seqs(db_engine) == [1, 2, 3, 4] and len(audit_ages(db_engine)) == 5

    done = purge(db_url, "--rejected-older-than", "30", "--audit-older-than", "365")
    assert done.returncode == 0, done.stderr
    assert rejected_seqs(db_engine) == [3, 4]
    ages = audit_ages(db_engine)
    # The 800- and 400-day entries went; the purge of 900 days ago and the new one stay.
    assert [(a, d) for a, d in ages if a != PURGE_ACTION] == [("login", 2),
                                                               ("login_failed", 300)]
    assert [d for a, d in ages if a == PURGE_ACTION] == [0, 900]
    with Session(db_engine) as session:
        entry = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == PURGE_ACTION)
                                .order_by(AuditEntry.at.desc())).first()
        assert entry is not None
        assert entry.detail["rejected_messages"] == 2 and entry.detail["audit_entries"] == 2

    # The settings from the environment, as a systemd timer runs it: one day of rejects.
    by_env = purge(db_url, TIMBRA_RETAIN_REJECTED_DAYS="2")
    assert by_env.returncode == 0, by_env.stderr
    assert rejected_seqs(db_engine) == [4]


def test_a_retention_too_short_or_not_a_number_is_refused_and_nothing_changes(
        db_url: str, db_engine: sa.Engine) -> None:
    seed(db_engine)
    short = purge(db_url, "--audit-older-than", "10")
    assert short.returncode == 2 and "keep between 90 and" in short.stderr
    word = purge(db_url, TIMBRA_RETAIN_AUDIT_DAYS="a year")
    assert word.returncode == 2 and "TIMBRA_RETAIN_AUDIT_DAYS" in word.stderr
    assert rejected_seqs(db_engine) == [1, 2, 3, 4] and len(audit_ages(db_engine)) == 5
