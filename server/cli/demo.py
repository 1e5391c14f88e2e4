"""`timbra demo`: a month of one employee of each installed institution, as timecards.

The stamps are made up but plausible and the same at every run (a seeded
generator), so a person trying timbra sees the rules at work: rounding, lunch
pauses, a forgotten pause, a service exit, a late morning.
"""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from dsl.errors import RuleError
from server.cli.evaluate import month_table
from server.demo.stamps import demo_stamps
from server.engine import evaluate_month
from server.plugins import institutions
from server.policy.load import load_policy

DEMO_YEAR, DEMO_MONTH = 2026, 3


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("demo", help="print a demo month for each institution")
    parser.add_argument("--month", default=f"{DEMO_YEAR}-{DEMO_MONTH:02d}", help="YYYY-MM")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    year, month = (int(part) for part in args.month.split("-"))
    for institution_id, spec in sorted(institutions().items()):
        try:
            policy = load_policy(institution_id)
        except RuleError as exc:
            print(f"{institution_id}: its rule file has errors:\n{exc}")
            return 1
        version = policy.version_on(date(year, month, 1))
        service = next((code for code, d in version.codes.items()
                        if d.kind is not None and d.kind.value == "service"), None)
        stamps = demo_stamps(year, month, institution_id, service)
        result = evaluate_month(policy, "full_time", year, month, stamps)
        print(f"\n=== {spec.name} ({institution_id}) — rules {policy.file_name} ===")
        print(month_table(result))
    return 0
