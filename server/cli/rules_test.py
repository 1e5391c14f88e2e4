"""`timbra rules test`: run the examples written inside rule files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dsl.errors import RuleError
from server.engine.examples import run_examples
from server.policy.load import load_rule_file


def add_test(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "test",
        help="run the examples inside rule files",
        description="Evaluate each `example` block and compare its `expect` figures; without "
        "FILE, the rule files of every installed institution. Exits 1 if any example fails.",
    )
    parser.add_argument("files", nargs="*", type=Path, metavar="FILE")
    parser.set_defaults(func=run_test)


def run_test(args: argparse.Namespace) -> int:
    from server.cli.rules import installed_rule_files

    files: list[Path] = list(args.files) or installed_rule_files()
    passed = failed = 0
    for path in files:
        try:
            outcomes = run_examples(load_rule_file(path))
        except RuleError as exc:
            print(exc.render(), file=sys.stderr)
            failed += 1
            continue
        for outcome in outcomes:
            where = f"{path.name}:{outcome.example.pos.line}"
            if outcome.passed:
                passed += 1
                print(f"ok    {where}  {outcome.example.name}")
            else:
                failed += 1
                print(f"FAIL  {where}  {outcome.example.name}")
                for failure in outcome.failures:
                    print(f"      {failure}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0
