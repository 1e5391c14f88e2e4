"""The directory revision: a per-institution counter that changes with its badges, its
people and its rule files.

Other processes (the ingest) cache who holds which badge and which rule file is in force
(its double-swipe window, its time zone); they compare this one integer, once per batch,
to know when to read again. It is bumped in the same transaction as the change, so a
reader never sees the change without the bump. Rule files share the counter (its name
predates them) because they change rarely: a rule activation also refills the badge
cache, which costs one query, and the ingest's steady state stays one query per batch.

Listening on the `Session` class catches every ORM path, present and future:
objects flushed (`before_flush`) and ORM bulk UPDATE/DELETE statements
(`do_orm_execute`, e.g. `session.execute(update(Badge)...)`). Uploading a draft rule
file bumps it too (any `RuleVersion` row flushed), harmlessly. Only raw SQL
(`text(...)` or Core statements on the tables) escapes it: such code must call
`bump` itself.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from typing import Any

from sqlalchemy import Table, event, select, update
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from sqlalchemy.orm.attributes import get_history

from server.db.models import Badge, Base, Employee, RuleVersion

# What the ingest caches per institution; each row has an `institution_id`.
DIRECTORY = (Badge, Employee, RuleVersion)
INSTITUTIONS: Table = Base.metadata.tables["institutions"]


def bump(session: Session, institution_ids: Collection[str] | None = None) -> None:
    """Mark the directory of these institutions (all when None) as changed."""
    statement = update(INSTITUTIONS).values(
        directory_revision=INSTITUTIONS.c.directory_revision + 1)
    if institution_ids is not None:
        statement = statement.where(INSTITUTIONS.c.id.in_(sorted(institution_ids)))
    # The connection, not session.execute: no autoflush, no ORM events, same transaction.
    session.connection().execute(statement)


def revisions(session: Session, institution_ids: Iterable[str]) -> dict[str, int]:
    """Institution -> its current directory revision; one primary-key lookup."""
    # Core on the connection: asked once per ingest batch, it skips the ORM's overhead.
    rows = session.connection().execute(
        select(INSTITUTIONS.c.id, INSTITUTIONS.c.directory_revision)
        .where(INSTITUTIONS.c.id.in_(sorted(institution_ids))))
    return {institution: revision for institution, revision in rows}


@event.listens_for(Session, "before_flush")
def _bump_on_flush(session: Session, flush_context: UOWTransaction, instances: Any) -> None:
    touched: set[str] = set()
    for obj in _directory_rows(session):
        if obj not in session.new and get_history(obj, "institution_id").has_changes():
            # Moved to another institution: the old one is unknown once expired.
            bump(session)
            return
        touched.add(obj.institution_id)  # read, so an expired row loads it
    if touched:
        bump(session, touched)


def _directory_rows(session: Session) -> Iterator[Badge | Employee | RuleVersion]:
    dirty = (o for o in session.dirty if session.is_modified(o, include_collections=False))
    for group in (session.new, dirty, session.deleted):
        yield from (obj for obj in group if isinstance(obj, DIRECTORY))


@event.listens_for(Session, "do_orm_execute")
def _bump_on_bulk(state: ORMExecuteState) -> None:
    # Which institutions a bulk WHERE reaches is unknown before it runs: bump them all.
    # Such statements are rare (a badge replacement), a cache refill is cheap.
    if (state.is_update or state.is_delete) and any(
            mapper.class_ in DIRECTORY for mapper in state.all_mappers):
        bump(state.session)
