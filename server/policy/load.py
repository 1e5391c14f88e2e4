"""Find an institution's rule file through the plugins and compile it."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from dsl import ast
from dsl.checker import check
from dsl.errors import RuleError
from dsl.parser import parse_file
from server.plugins import institutions
from server.policy.compile import compile_policy
from server.policy.model import Policy


class UnknownInstitution(LookupError):
    def __init__(self, institution_id: str, known: list[str]) -> None:
        listed = ", ".join(sorted(known)) or "none installed"
        super().__init__(f"unknown institution '{institution_id}' (installed: {listed})")


def load_rule_file(path: str | Path) -> ast.RuleFile:
    """Parse and check; any problem is a RuleError with every diagnostic."""
    rule_file = parse_file(path)
    problems = check(rule_file)
    if problems:
        raise RuleError(problems)
    return rule_file


@cache
def load_policy(institution_id: str) -> Policy:
    specs = institutions()
    spec = specs.get(institution_id)
    if spec is None:
        raise UnknownInstitution(institution_id, list(specs))
    return compile_policy(load_rule_file(spec.rules[0]))
