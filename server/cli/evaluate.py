"""`timbra day` and `timbra month`: evaluate stamps with an institution's rules."""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from dsl.diagnose import diagnose_file
from dsl.errors import RuleError
from dsl.parser import parse_file, parse_stamps
from dsl.transformer import clock_of
from server.engine import Request, Stamp, evaluate_day, evaluate_month
from server.engine.examples import hm
from server.engine.inputs import Direction
from server.engine.plan import UnknownProfile
from server.engine.results import DayResult, MonthResult
from server.minutes import clock
from server.policy.compile import compile_policy
from server.policy.load import UnknownInstitution, load_policy
from server.policy.model import Policy


class InputError(ValueError):
    """Bad command-line input, told to the user without a traceback."""


def register(subparsers: Any) -> None:
    day = subparsers.add_parser("day", help="evaluate one day of stamps")
    _common(day)
    day.add_argument("--date", required=True, type=_date, help="YYYY-MM-DD")
    day.add_argument("--stamps", default="", help='e.g. "in 08:03, out 12:00 code 35"')
    day.add_argument("--request", action="append", default=[], metavar="'CODE SPAN'",
                     help='an approved request: "49 14:30..15:10" or "FER day"')
    day.set_defaults(func=run_day)
    month = subparsers.add_parser("month", help="evaluate a month of stamps from a CSV file")
    _common(month)
    month.add_argument("--month", required=True, help="YYYY-MM")
    month.add_argument("--stamps-file", required=True, type=Path,
                       help="CSV with columns date,time,direction,code")
    month.add_argument("--through", type=_date, default=None,
                       help="the last day to evaluate (YYYY-MM-DD); default: yesterday in "
                            "the institution's time zone, as the pages count a month")
    # A month's request names its day first: the same words as `timbra day`'s, dated.
    month.add_argument("--request", action="append", default=[], metavar="'DATE CODE SPAN'",
                       help='an approved request on a day of the month: '
                            '"2026-03-02 49 14:30..15:10" or "2026-03-02 FER day"')
    month.set_defaults(func=run_month)


def _common(parser: argparse.ArgumentParser) -> None:
    whose = parser.add_mutually_exclusive_group(required=True)
    whose.add_argument("--institution", help="an installed institution")
    whose.add_argument("--rules", type=Path, metavar="FILE",
                       help="a rule file that is not installed (checked first)")
    parser.add_argument("--profile", default="full_time")
    parser.add_argument("--json", action="store_true", help="print JSON")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD)") from None


def _policy(args: argparse.Namespace) -> Policy:
    """The installed institution's rules, or the file of `--rules`, checked as a whole."""
    if args.rules is None:
        return load_policy(args.institution)
    problems = diagnose_file(args.rules)
    if problems:
        raise RuleError(problems)
    return compile_policy(parse_file(args.rules))


def _fail(command: str, exc: Exception) -> int:
    if isinstance(exc, RuleError):
        # file:line:col, the line and a caret: the form `timbra rules check` prints.
        print(exc.render(), file=sys.stderr)
        print(f"timbra {command}: {len(exc.diagnostics)} error(s)", file=sys.stderr)
    else:
        print(f"timbra {command}: {exc}", file=sys.stderr)
    return 2


def run_day(args: argparse.Namespace) -> int:
    try:
        policy = _policy(args)
        stamps = _stamps(args.stamps)
        requests = [_request(text) for text in args.request]
        result = evaluate_day(policy, args.profile, args.date, stamps, requests)
    except (RuleError, InputError, UnknownInstitution, UnknownProfile, LookupError) as exc:
        return _fail("day", exc)
    if args.json:
        return _emit(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    return _emit(day_table(result))


def run_month(args: argparse.Namespace) -> int:
    try:
        year, month = _month(args.month)
        policy = _policy(args)
        stamps = read_stamps_csv(args.stamps_file, (year, month))
        requests: dict[date, list[Request]] = defaultdict(list)
        for text in args.request:
            day_text, _, rest = text.partition(" ")
            day = _request_date(day_text)
            if (day.year, day.month) != (year, month):
                raise InputError(f"--request {text!r}: {day} is not in {args.month}")
            requests[day].append(_request(rest))
        through = args.through or (
            datetime.now(ZoneInfo(policy.timezone)).date() - timedelta(days=1))
        result = evaluate_month(policy, args.profile, year, month, stamps, requests,
                                through=through)
    except (RuleError, InputError, UnknownInstitution, UnknownProfile, LookupError,
            ValueError, OSError) as exc:
        return _fail("month", exc)
    if args.json:
        return _emit(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    return _emit(month_table(result))


def _emit(text: str) -> int:
    """Print the result; a reader that stops early (`| head`) is not an error."""
    try:
        print(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # Python would otherwise complain again when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return 0


def _month(text: str) -> tuple[int, int]:
    try:
        first = date.fromisoformat(f"{text}-01")
    except ValueError:
        raise InputError(f"--month {text!r} is not a month (use YYYY-MM)") from None
    return first.year, first.month


def _request_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"a month's request starts with its date YYYY-MM-DD, not {text!r}"
                         ) from None


def _stamps(text: str) -> list[Stamp]:
    if not text.strip():
        return []
    return [Stamp(s.minute, s.direction, s.code) for s in parse_stamps(text, "--stamps")]


def _request(text: str) -> Request:
    parts = text.split()
    if len(parts) != 2:
        raise InputError(f"a request is 'CODE START..END' or 'CODE day', not {text!r}")
    code, span = parts
    if span == "day":
        return Request(code)
    try:
        start, end = (clock_of(p) for p in span.split(".."))
    except ValueError:
        raise InputError(f"a request span is like 14:30..15:10, not {span!r}") from None
    return Request(code, start, end)


def read_stamps_csv(path: Path, month: tuple[int, int] | None = None,
                    ) -> dict[date, list[Stamp]]:
    """Columns: date (YYYY-MM-DD), time (HH:MM), direction (in/out/empty), code (optional).

    With `month` (year, month), a row of another month is refused, not dropped: the
    file is probably not the one meant, and what is left would be a wrong month."""
    stamps: dict[date, list[Stamp]] = defaultdict(list)
    outside: list[int] = []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            number = reader.line_num
            try:
                day = date.fromisoformat(row["date"].strip())
                minute = clock_of(row["time"].strip())
                direction = _direction(row.get("direction"))
            except (KeyError, ValueError, AttributeError) as exc:
                raise InputError(f"{path}:{number}: bad row {row} ({exc})") from None
            if month is not None and (day.year, day.month) != month:
                outside.append(number)
                continue
            code = (row.get("code") or "").strip() or None
            stamps[day].append(Stamp(minute, direction, code))
    if outside:
        year, number = month or (0, 0)
        shown = ", ".join(map(str, outside[:10])) + (
            f" and {len(outside) - 10} more" if len(outside) > 10 else "")
        raise InputError(f"{path}: {len(outside)} row(s) not in {year:04d}-{number:02d}, "
                         f"on line(s) {shown}")
    return stamps


def _direction(text: str | None) -> Direction | None:
    value = (text or "").strip()
    if value in {"", "in", "out"}:
        return None if not value else ("in" if value == "in" else "out")
    raise ValueError(f"direction must be in, out or empty, not {value!r}")


def day_table(result: DayResult) -> str:
    rows = [
        ("date", result.day.isoformat()),
        ("stamps", ", ".join(f"{d} {clock(m)}" + (f" code {c}" if c else "")
                             for d, m, c in result.stamps) or "-"),
        ("worked", hm(result.worked)),
        ("due", hm(result.due)),
        ("balance", hm(result.balance)),
        ("pause_deducted", hm(result.pause_deducted)),
        ("meal_voucher", "yes" if result.meal_voucher else "no"),
    ]
    rows += [(f"code {c}", hm(m)) for c, m in result.by_code.items()]
    for name in ("credited", "unjustified", "negative_flex", "tolerated", "to_recover",
                 "overtime_paid", "overtime_banked"):
        if getattr(result, name):
            rows.append((name, hm(getattr(result, name))))
    rows += [(f"anomaly {a.code}", a.message) for a in result.anomalies]
    width = max(len(k) for k, _ in rows)
    lines = [f"{k:<{width}}  {v}" for k, v in rows]
    lines.append("explain:")
    lines += [f"  {e.source:<24} {e.rule}  — {e.detail}"
              + (f"  [{e.regulation}]" if e.regulation else "") for e in result.explanations()]
    return "\n".join(lines)


def month_table(result: MonthResult) -> str:
    lines = [f"{result.year:04d}-{result.month:02d}  profile {result.profile}",
             f"{'date':<11} {'worked':>7} {'due':>7} {'balance':>8}  notes"]
    for d in result.days:
        if not (d.due or d.worked or d.anomalies):
            continue
        notes = ", ".join([f"{c} {hm(m)}" for c, m in d.by_code.items()]
                          + [a.code for a in d.anomalies]
                          + (["meal voucher"] if d.meal_voucher else []))
        lines.append(f"{d.day.isoformat():<11} {hm(d.worked):>7} {hm(d.due):>7} "
                     f"{hm(d.balance):>8}  {notes}")
    lines.append(f"{'total':<11} {hm(result.worked):>7} {hm(result.due):>7} "
                 f"{hm(result.balance):>8}  meal vouchers {result.meal_vouchers}")
    for a in result.allowances:
        lines.append(f"allowance {a.name}: used {hm(a.used)}, left {hm(a.left)}")
    for name, when in result.deadlines.items():
        lines.append(f"deadline {name}: {when.isoformat()}")
    lines += [f"flag {f.name}: {f.message}" for f in result.flags]
    return "\n".join(lines)
