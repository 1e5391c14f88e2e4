"""`timbra rules check|fmt|test|coverage`: check rule files, print them in canonical form,
run their examples, print their coverage tables."""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from collections.abc import Callable
from pathlib import Path

from dsl.diagnose import as_json, diagnose_file
from dsl.errors import Diagnostic, RuleError
from dsl.formatter import format_rules
from dsl.parser import parse_file
from server.cli.base import help_command
from server.cli.rules_coverage import add_coverage
from server.cli.rules_test import add_test


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `timbra rules` and its subcommands, one `add_*` function each."""
    rules = subparsers.add_parser(
        "rules", help="check and format rule files", description="Work on rule files (.rules)."
    )
    rules.set_defaults(func=help_command(rules))
    commands = rules.add_subparsers(title="rules commands", metavar="COMMAND")
    for add in SUBCOMMANDS:
        add(commands)


def add_check(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "check",
        help="report every problem of rule files",
        description="Parse and check rule files; without FILE, those of every installed "
        "institution. Exits 1 if any problem is found.",
    )
    parser.add_argument("files", nargs="*", type=Path, metavar="FILE")
    parser.add_argument(
        "--format", choices=("text", "json"), default="text",
        help="json: print one JSON array on stdout, an object per problem with file, line, "
        "col, end, severity, message and hint",
    )
    parser.set_defaults(func=run_check)


def add_fmt(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "fmt",
        help="print rule files in canonical form",
        description="Print a rule file in canonical form, or check or rewrite files in place.",
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--check", action="store_true", help="exit 1 if a file is not in canonical form"
    )
    mode.add_argument("--write", action="store_true", help="rewrite files in canonical form")
    parser.set_defaults(func=run_fmt)


# Each adds one `timbra rules …` subcommand.
SUBCOMMANDS: tuple[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None], ...] = (
    add_check,
    add_fmt,
    add_test,
    add_coverage,
)


# ---- check ---------------------------------------------------------------------------


def run_check(args: argparse.Namespace) -> int:
    files: list[Path] = list(args.files) or installed_rule_files()
    found = [d for path in files for d in diagnose(path)]
    if args.format == "json":
        print(json.dumps([as_json(d) for d in found], ensure_ascii=False, indent=2))
    else:
        for diagnostic in found:
            print(diagnostic.render(), file=sys.stderr)
    errors = len(found)
    print(f"{len(files)} file(s) checked, {errors} error(s)", file=sys.stderr)
    return 1 if errors else 0


def diagnose(path: Path) -> list[Diagnostic]:
    """Every problem of one file: its syntax errors together with the checker's findings."""
    return diagnose_file(path)


def installed_rule_files() -> list[Path]:
    from server.plugins import institutions  # loads the plugins only when needed

    return [spec.rule_file for _, spec in sorted(institutions().items())]


# ---- fmt -----------------------------------------------------------------------------


def run_fmt(args: argparse.Namespace) -> int:
    files: list[Path] = args.files
    if len(files) > 1 and not (args.check or args.write):
        print("timbra rules fmt: give one FILE to print, or use --check or --write",
              file=sys.stderr)
        return 2
    status = 0
    for path in files:
        try:
            rule_file = parse_file(path)
        except RuleError as exc:
            print(exc.render(), file=sys.stderr)
            status = 1
            continue
        text = format_rules(rule_file)
        if args.check:
            status = max(status, _report_difference(path, rule_file.source, text))
        elif args.write:
            if text != rule_file.source:
                path.write_text(text, encoding="utf-8")
                print(f"reformatted {path}", file=sys.stderr)
        else:
            sys.stdout.write(text)
    return status


def _report_difference(path: Path, source: str, canonical: str) -> int:
    if source == canonical:
        return 0
    print(f"{path}: not in canonical form (timbra rules fmt --write fixes it)", file=sys.stderr)
    sys.stdout.writelines(
        difflib.unified_diff(
            source.splitlines(keepends=True),
            canonical.splitlines(keepends=True),
            fromfile=str(path),
            tofile=f"{path} (canonical)",
        )
    )
    return 1
