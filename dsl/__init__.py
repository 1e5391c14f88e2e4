"""The timbra rule language: grammar, parser, typed AST, checker, formatter."""

from pathlib import Path

from dsl.ast import RuleFile
from dsl.checker import check
from dsl.errors import Diagnostic, RuleError
from dsl.formatter import format_rules
from dsl.parser import parse, parse_file, parse_stamps

__all__ = [
    "Diagnostic",
    "RuleError",
    "RuleFile",
    "check",
    "format_rules",
    "load",
    "parse",
    "parse_file",
    "parse_stamps",
]


def load(path: str | Path) -> RuleFile:
    """Parse and check a rule file; raise `RuleError` with every problem found."""
    rule_file = parse_file(path)
    problems = check(rule_file)
    if problems:
        raise RuleError(problems)
    return rule_file
