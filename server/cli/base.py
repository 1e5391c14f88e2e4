"""What the command groups share: the command type and the help fallback."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

# What `args.func` holds: run the command, return the process exit code.
Command = Callable[[argparse.Namespace], int]


def help_command(parser: argparse.ArgumentParser) -> Command:
    """The command of a group called without a subcommand: print its help, exit 2."""

    def show_help(args: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        return 2

    return show_help
