"""Openings import speed: the office's CSV of opening balances against its own parts, on
SQLite and PostgreSQL.

For each database: N employees of the university (bulk inserted), each with the hours
account's closings of January to March 2026 kept (as the recompute worker leaves them, so
that the import's `forget` has rows to delete); one file of N lines, one per employee,
every column the template has (the hours account, each leave and last year's days, each
yearly allowance used, a reason), dated 1 March 2026 and imported on 10 April. Then, in
the same run and in turn,
- the anchor: the same file read and checked line by line (`csv_lines`, `data_rows`,
  `read_line`) and the rows the import writes (openings and audit entries) bulk inserted,
  and the closings from March on deleted with one statement: the import's parts, with no
  service between them;
- the import: `import_openings` as the web route calls it, then the commit;
- the same file imported again, each opening on record replaced (a corrected file).
After each, what it wrote is deleted (not timed) and the closings kept again. Each is timed
`--runs` times; the best counts and every run is printed.

Last line: `import_ms_per_line <I> anchor_ms_per_line <A> ratio <I/A>`, those of the last
database measured (PostgreSQL unless --database). `--profile` prints, per database, where
an import's time goes (cProfile, cumulative, per line).

Run: .venv/bin/python bench/openings.py [--lines 2000] [--database URL] [--runs R]
[--quick] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import pstats
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, delete, insert, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.close_data import INSTITUTION, analyze, fresh_database, people  # noqa: E402
from server.db.account_tables import AccountMonthRow, AccountOpening  # noqa: E402
from server.db.allowance_tables import AllowanceOpening  # noqa: E402
from server.db.leave_tables import LeaveOpening  # noqa: E402
from server.db.models import AuditEntry, Employee, User  # noqa: E402
from server.office.csv_files import csv_lines, data_rows, heading  # noqa: E402
from server.office.openings import OpeningKeys, keys_on, read_line  # noqa: E402
from server.office.openings_import import (  # noqa: E402
    column_of,
    import_openings,
    template_headings,
)

NOW = datetime(2026, 4, 10, 9, 0, tzinfo=UTC)
STARTS = date(2026, 3, 1)
KEPT = [(2026, 1), (2026, 2), (2026, 3)]  # closings the worker kept; March's is forgotten


def build(url: str, lines: int) -> Engine:
    engine = people(url, lines)
    keep_closings(engine)
    analyze(engine)
    return engine


def keep_closings(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        session.execute(delete(AccountMonthRow))
        ids = list(session.scalars(select(Employee.id)))
        session.execute(insert(AccountMonthRow), [
            {"employee_id": e, "year": y, "month": m, "balance": 60, "debts": [],
             "computed_at": NOW} for e in ids for y, m in KEPT])


def the_file(engine: Engine, lines: int) -> tuple[str, OpeningKeys]:
    """One line per employee, every column of the template filled."""
    with Session(engine) as session:
        keys = keys_on(session, INSTITUTION, NOW.date())
    headings = template_headings(keys)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(headings)
    for n in range(lines):
        values = {"matricola": f"B{n:06d}", "nome": f"Dipendente {n}", "data": "01/03/2026",
                  "saldo ore": f"{'-' if n % 3 == 0 else ''}{n % 40}:{n % 4 * 15:02d}",
                  "motivo": "" if n % 2 else "adozione di timbra"}
        row = [values.get(h) or _figure(h, n) for h in headings]
        writer.writerow(row)
    return "\ufeff" + out.getvalue(), keys


def _figure(heading: str, n: int) -> str:
    if heading.endswith("ore usate"):
        return f"{n % 20}:30"
    if heading.endswith("anno precedente"):
        return str(n % 5)
    return f"{n % 28},5" if n % 2 else str(n % 28)


def clear(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        for table in (AccountOpening, LeaveOpening, AllowanceOpening, AuditEntry):
            session.execute(delete(table))
    keep_closings(engine)


def office(session: Session) -> User:
    actor = session.scalar(select(User).where(User.role == "office"))
    assert actor is not None
    return actor


def anchor(engine: Engine, data: str, keys: OpeningKeys) -> float:
    """Read and check every line, bulk insert what the import writes: its parts alone."""
    with Session(engine) as session:
        actor = office(session)
        started = time.perf_counter()
        ids = dict(list(session.execute(select(Employee.number, Employee.id).where(
            Employee.institution_id == INSTITUTION)).all()))
        lines = csv_lines(data)
        known = column_of(keys)
        columns = [known[heading(text)] for text in lines[0]]
        rows: dict[type[Any], list[dict[str, Any]]] = {
            AccountOpening: [], LeaveOpening: [], AllowanceOpening: [], AuditEntry: []}
        for _, row in data_rows(lines, columns):
            assert isinstance(row, dict)
            figures = read_line(row, keys)
            assert not figures.errors and figures.starts is not None, figures.errors
            _rows(rows, ids[row["number"]], figures, actor.id)
        for table, values in rows.items():
            session.execute(insert(table), values)
        session.execute(delete(AccountMonthRow).where(
            AccountMonthRow.employee_id.in_(list(ids.values())), AccountMonthRow.year == 2026,
            AccountMonthRow.month >= STARTS.month))
        session.commit()
        return time.perf_counter() - started


def _rows(rows: dict[type[Any], list[dict[str, Any]]], employee_id: int, figures: Any,
          actor_id: int) -> None:
    common = {"institution_id": INSTITUTION, "employee_id": employee_id,
              "reason": figures.reason, "set_by": actor_id, "set_at": NOW}
    audit = {"at": NOW, "institution_id": INSTITUTION, "user_id": actor_id,
             "target": f"employee:{employee_id}"}
    if figures.balance is not None:
        rows[AccountOpening].append({**common, "starts": figures.starts,
                                     "balance": figures.balance})
        rows[AuditEntry].append({**audit, "action": "account_opening_set", "detail": {
            "starts": figures.starts.isoformat(), "before": None, "after": figures.balance,
            "reason": figures.reason}})
    for name, (left, carried) in figures.leaves.items():
        rows[LeaveOpening].append({**common, "leave": name, "on": figures.starts,
                                   "left_halves": left, "carried_halves": carried})
        rows[AuditEntry].append({**audit, "action": "leave_opening", "detail": {
            "leave": name, "on": figures.starts.isoformat(), "left": left / 2,
            "carried": carried / 2, "before": None, "reason": figures.reason}})
    for name, minutes in figures.used.items():
        rows[AllowanceOpening].append({**common, "name": name, "starts": figures.starts,
                                       "minutes": minutes})
        rows[AuditEntry].append({**audit, "action": "allowance_opening_set", "detail": {
            "name": name, "starts": figures.starts.isoformat(), "before": None,
            "after": minutes, "reason": figures.reason}})


def imported(engine: Engine, data: str, profile: cProfile.Profile | None = None) -> float:
    """The import as the web route runs it, and its commit."""
    with Session(engine) as session:
        actor = office(session)
        started = time.perf_counter()
        if profile is not None:
            profile.enable()
        result = import_openings(session, actor, data, now=NOW)
        session.commit()
        if profile is not None:
            profile.disable()
        took = time.perf_counter() - started
        assert len(result.numbers) == data.count("\n") - 1
        return took


def written(engine: Engine) -> tuple[int, ...]:
    """What a run left: the same after the anchor and after the import, or they differ."""
    with Session(engine) as session:
        counts = [len(session.scalars(select(t.id)).all())
                  for t in (AccountOpening, LeaveOpening, AllowanceOpening)]
        kept = len(session.execute(select(AccountMonthRow.year)).all())
        return (*counts, kept)


def shown(times: list[float], lines: int) -> str:
    return ", ".join(f"{t * 1000 / lines:.2f}" for t in times)


def one_database(url: str, lines: int, runs: int, profile: bool) -> tuple[float, float]:
    engine = build(url, lines)
    data, keys = the_file(engine, lines)
    kind = engine.dialect.name
    anchors, imports, again = [], [], []
    # Anchor and import in turn: this machine's speed drifts over minutes, and the ratio
    # must compare like with like.
    for _ in range(runs):
        anchors.append(anchor(engine, data, keys))
        by_anchor = written(engine)
        clear(engine)
        imports.append(imported(engine, data))
        by_import = written(engine)
        again.append(imported(engine, data))  # a corrected file: every opening replaced
        clear(engine)
        assert by_anchor == by_import, (by_anchor, by_import)
    import_s, anchor_s = min(imports), min(anchors)
    per_line, anchor_line = import_s * 1000 / lines, anchor_s * 1000 / lines
    print(f"{kind:<10} {lines} lines: import {import_s:6.2f} s ({per_line:.2f} ms/line), "
          f"anchor {anchor_s:6.2f} s ({anchor_line:.2f} ms/line), ratio "
          f"{import_s / anchor_s:.2f}; ms/line runs {shown(imports, lines)}, anchors "
          f"{shown(anchors, lines)}", flush=True)
    print(f"{kind:<10} the same file again (every opening on record replaced): "
          f"{min(again) * 1000 / lines:.2f} ms/line; runs {shown(again, lines)}", flush=True)
    if profile:
        profiled(engine, data, lines)
    engine.dispose()
    return per_line, anchor_line


def profiled(engine: Engine, data: str, lines: int) -> None:
    profile = cProfile.Profile()
    imported(engine, data, profile)
    clear(engine)
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out).sort_stats("cumulative")
    stats.print_stats(30)
    print(f"{engine.dialect.name} profile of one import ({lines} lines; "
          "cumulative seconds, divide by the lines for per line):")
    print(out.getvalue(), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--database", action="append", metavar="URL",
                        help="a database URL (repeatable); default: a SQLite file and "
                             "a fresh database on the test PostgreSQL")
    parser.add_argument("--runs", type=int, default=3, help="best of this many runs")
    parser.add_argument("--quick", action="store_true",
                        help="200 lines, one run: for the suite (no timing asserted)")
    parser.add_argument("--profile", action="store_true",
                        help="print where an import's time goes (cProfile)")
    args = parser.parse_args()
    if args.quick:
        args.lines, args.runs = 200, 1
    figures = None
    with fresh_database(args.database) as urls:
        for url in urls:
            figures = one_database(url, args.lines, args.runs, args.profile)
    assert figures is not None
    per_line, anchor_line = figures
    print(f"import_ms_per_line {per_line:.3f} anchor_ms_per_line {anchor_line:.3f} "
          f"ratio {per_line / anchor_line:.2f}")


if __name__ == "__main__":
    main()
