"""`timbra`: the entry point of the command line.

Each command group lives in its own module with a `register(subparsers)`
function that adds its parser and sets `func` on the parsed arguments to a
`Command`, `(args) -> exit code`. To add a group (`day`, `month`, `demo`, …),
write its module and list it in `COMMAND_GROUPS`.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from dsl.errors import RuleError
from server.cli.base import Command, help_command
from server.observe.logs import configure_logging, log_format
from server.plugins import PluginError, get_plugin_manager

# Modules with a `register(subparsers)` function, in the order `--help` lists them.
COMMAND_GROUPS: tuple[str, ...] = (
    "server.cli.rules", "server.cli.evaluate", "server.cli.demo", "server.cli.ingest",
    "server.cli.run",
    "server.cli.terminals",
    "server.cli.users",
    "server.cli.month_close",
    "server.cli.notify",
    "server.cli.db",
    "server.cli.web",
    "server.cli.purge",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="timbra",
        description="Time-and-attendance server with per-institution rule files.",
    )
    parser.set_defaults(func=help_command(parser))
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in COMMAND_GROUPS:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; the return value is the process exit code."""
    if os.environ.get("TIMBRA_LOG_FORMAT"):
        # Set for the services (the units, compose): what is logged, or warned, while the
        # commands load is already a line in that format.
        try:
            configure_logging(log_format())
        except ValueError as exc:
            print(f"timbra: {exc}", file=sys.stderr)
            return 2
    args = build_parser().parse_args(argv)
    command: Command = args.func
    try:
        # Before any work, so a broken plugin (a misspelled hook) fails loudly at start.
        get_plugin_manager()
    except PluginError as exc:
        print(f"timbra: {exc}", file=sys.stderr)
        return 1
    try:
        return command(args)
    except RuleError as exc:
        # A rule file is wrong: users see its diagnostics, never a traceback.
        print(exc.render(), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
