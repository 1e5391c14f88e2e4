"""`timbra rules coverage FILE`: the coverage table of a rule file, from its sources."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dsl.coverage import coverage_table
from dsl.errors import RuleError
from dsl.parser import parse_file


def add_coverage(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "coverage",
        help="print the coverage table of a rule file",
        description='Print, as a markdown table, each `source "…" "…"` of a rule file with '
        "the line and statement that implement it: the table of a plugin's README.",
    )
    parser.add_argument("file", type=Path, metavar="FILE")
    parser.set_defaults(func=run_coverage)


def run_coverage(args: argparse.Namespace) -> int:
    try:
        rule_file = parse_file(args.file)
    except RuleError as exc:
        print(exc.render(), file=sys.stderr)
        return 1
    if not rule_file.sources:
        print(f'timbra rules coverage: {args.file} has no source "…" annotation',
              file=sys.stderr)
        return 1
    sys.stdout.write(coverage_table(rule_file))
    return 0
