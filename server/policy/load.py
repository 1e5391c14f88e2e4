"""Find an institution's rule file through the plugins and compile it.

This module is also the core's default plugin for ``timbra_rule_file``
(see ``server.plugins.DEFAULT_PLUGINS``).
"""

from __future__ import annotations

from functools import cache, lru_cache
from pathlib import Path

import pluggy

from dsl import ast
from dsl.checker import check
from dsl.errors import RuleError
from dsl.parser import parse, parse_file
from server.hookspecs import hookimpl
from server.institutions import InstitutionSpec, identity_problems
from server.plugins import get_plugin_manager, institutions
from server.policy.compile import compile_policy
from server.policy.model import Policy


class UnknownInstitution(LookupError):
    def __init__(self, institution_id: str, known: list[str]) -> None:
        listed = ", ".join(sorted(known)) or "none installed"
        super().__init__(f"unknown institution '{institution_id}' (installed: {listed})")


def load_rule_file(path: str | Path) -> ast.RuleFile:
    """Parse and check; any problem is a RuleError with every diagnostic. The file is read
    each time, but a text already parsed and checked is not parsed again."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return _checked(parse_file(path))  # which words why it cannot be read
    return _parsed(str(Path(path)), text)


# A syntax tree is immutable, so one may serve every caller. Parsing and checking a rule file
# takes ~0.1 s; the plugins, the CLI and the tests ask for the same few files over and over.
@lru_cache(maxsize=16)
def _parsed(file: str, text: str) -> ast.RuleFile:
    return _checked(parse(text, file))


def _checked(rule_file: ast.RuleFile) -> ast.RuleFile:
    problems = check(rule_file)
    if problems:
        raise RuleError(problems)
    return rule_file


@hookimpl(trylast=True)
def timbra_rule_file(spec: InstitutionSpec) -> ast.RuleFile:
    """The core's default: the file the plugin names in its spec."""
    return load_rule_file(spec.rule_file)


def rule_file_of(spec: InstitutionSpec, pm: pluggy.PluginManager | None = None) -> ast.RuleFile:
    """The institution's rule file as the plugins give it, checked against ``spec``."""
    if pm is None:
        pm = get_plugin_manager()
    rule_file: ast.RuleFile = pm.hook.timbra_rule_file(spec=spec)
    problems = identity_problems(spec, rule_file)
    if problems:
        raise RuleError(problems)
    return rule_file


@cache
def load_policy(institution_id: str) -> Policy:
    specs = institutions()
    spec = specs.get(institution_id)
    if spec is None:
        raise UnknownInstitution(institution_id, list(specs))
    return compile_policy(rule_file_of(spec))
