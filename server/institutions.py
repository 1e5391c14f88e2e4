"""What a plugin declares about an institution it provides, and its match with the rule file."""

from dataclasses import dataclass
from pathlib import Path

from dsl.ast import RuleFile
from dsl.errors import Diagnostic, source_line


@dataclass(frozen=True, slots=True)
class InstitutionSpec:
    """One institution: its identity, its rule file and the plugin it came from.

    Attributes:
        id: Stable identifier used in configuration, URLs and the database (``"school"``).
        name: Human-readable name, as the institution writes it.
        rule_file: The rule file (``.rules``) that makes up the institution's policy; its
            ``institution`` block must carry the same id and name.
        plugin: Name of the plugin that provides it, so errors and reports can say
            where an institution came from.
        version: Version of the distribution that ships the plugin.
    """

    id: str
    name: str
    rule_file: Path
    plugin: str
    version: str


def identity_problems(spec: InstitutionSpec, rule_file: RuleFile) -> list[Diagnostic]:
    """Where the rule file's ``institution`` block disagrees with what the plugin declares.

    A plugin that installs ``school`` with the rule file of another institution would
    otherwise give the wrong rules under the right name, without a word.
    """
    block = rule_file.institution
    if block is None:
        return [Diagnostic(rule_file.path, 1, 1,
                           f"no institution block: plugin {spec.plugin} installs this file as "
                           f"institution '{spec.id}' named '{spec.name}'",
                           hint=f'begin the file with: institution {spec.id} '
                                f'{{ name "{spec.name}" }}')]
    problems = []
    if block.id != spec.id:
        problems.append(Diagnostic(
            rule_file.path, block.pos.line, block.pos.column,
            f"institution '{block.id}' in the rule file, but plugin {spec.plugin} installs "
            f"it as institution '{spec.id}'",
            source_line(rule_file.source, block.pos.line)))
    written = block.name.value if block.name is not None else None
    if written != spec.name:
        pos = block.name.pos if block.name is not None else block.pos
        in_file = f"name '{written}'" if written is not None else "no name"
        problems.append(Diagnostic(
            rule_file.path, pos.line, pos.column,
            f"{in_file} in the rule file, but plugin {spec.plugin} installs institution "
            f"'{spec.id}' as '{spec.name}'",
            source_line(rule_file.source, pos.line)))
    return problems
