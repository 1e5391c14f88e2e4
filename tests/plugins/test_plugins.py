"""The plugin manager: discovery through entry points, validation, conflicts."""

import dataclasses
import importlib
import re
from importlib.metadata import version
from pathlib import Path

import pytest

from dsl import ast
from dsl.errors import RuleError
from server.hookspecs import hookimpl
from server.institutions import InstitutionSpec
from server.plugins import (
    DEFAULT_PLUGINS,
    PluginError,
    get_plugin_manager,
    installed_plugins,
    institutions,
    make_plugin_manager,
)
from server.policy.load import load_rule_file, rule_file_of

BUILT_IN = {"chamber", "university", "school", "academy"}
REPO = Path(__file__).resolve().parents[2]
PLUGINS = REPO / "plugins"


def test_built_in_institutions_are_discovered_through_entry_points() -> None:
    found = institutions()
    assert found.keys() >= BUILT_IN
    for institution_id in BUILT_IN:
        spec = found[institution_id]
        assert spec.id == institution_id
        assert spec.name
        package = importlib.import_module(f"plugins.{institution_id}")
        assert package.__file__ is not None
        assert spec.rule_file.name == f"{institution_id}.rules"
        assert spec.rule_file.parent == Path(package.__file__).parent
        assert spec.plugin == f"plugins.{institution_id}"


def test_without_entry_points_no_institution_is_known() -> None:
    # Proves the core finds the built-in plugins only through entry points.
    assert institutions(make_plugin_manager(load_entry_points=False)) == {}


def test_core_never_imports_plugins_by_name() -> None:
    pattern = re.compile(r"^\s*(from|import)\s+plugins\b", re.MULTILINE)
    offenders = [
        str(path.relative_to(REPO))
        for path in (REPO / "server").rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_installed_plugins_lists_built_ins_with_version() -> None:
    listed = dict(installed_plugins())
    assert listed.keys() >= BUILT_IN
    assert {listed[name] for name in BUILT_IN} == {version("timbra")}


def test_get_plugin_manager_is_cached() -> None:
    assert get_plugin_manager() is get_plugin_manager()


class _Duplicate:
    @hookimpl
    def timbra_institutions(self) -> list[InstitutionSpec]:
        return [
            InstitutionSpec(
                id="school", name="Another school", rule_file=Path("other.rules"),
                plugin="rival_plugin", version="9.9",
            )
        ]


def test_duplicate_institution_id_names_both_plugins() -> None:
    pm = make_plugin_manager(extra_plugins=[_Duplicate()])
    with pytest.raises(PluginError) as excinfo:
        institutions(pm)
    message = str(excinfo.value)
    assert "'school'" in message
    assert "plugins.school" in message
    assert "rival_plugin" in message


class _Misspelled:
    @hookimpl
    def timbra_institution(self) -> list[InstitutionSpec]:
        return []


def test_misspelled_hook_fails_validation() -> None:
    with pytest.raises(PluginError, match="timbra_institution") as excinfo:
        make_plugin_manager(load_entry_points=False, extra_plugins=[_Misspelled()])
    # The message offers the correct spelling.
    assert "timbra_institutions" in str(excinfo.value)


def test_the_core_defaults_are_registered_as_plugins() -> None:
    # Without a single entry point, the core still answers through its own plugins.
    pm = make_plugin_manager(load_entry_points=False)
    assert DEFAULT_PLUGINS
    for name in DEFAULT_PLUGINS:
        assert pm.get_plugin(name) is importlib.import_module(name)


def _spec(institution_id: str, name: str, rules: str) -> InstitutionSpec:
    return InstitutionSpec(id=institution_id, name=name, rule_file=PLUGINS / rules,
                           plugin="test_plugin", version="0")


SCHOOL_NAME = "Liceo Linguistico Statale Ninni Cassarà (Palermo)"


def test_timbra_rule_file_default_reads_the_file_the_spec_names() -> None:
    pm = make_plugin_manager(load_entry_points=False)
    rule_file = rule_file_of(_spec("school", SCHOOL_NAME, "school/school.rules"), pm)
    assert rule_file.path.endswith("school.rules")
    assert rule_file.institution is not None and rule_file.institution.id == "school"


class _OwnRuleFile:
    """A plugin that gives the school's rules from somewhere other than the spec's path."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    @hookimpl
    def timbra_rule_file(self, spec: InstitutionSpec) -> ast.RuleFile | None:
        self.asked.append(spec.id)
        if spec.id != "school":
            return None
        return load_rule_file(PLUGINS / "school" / "school.rules")


def test_timbra_rule_file_from_a_plugin_wins_over_the_default() -> None:
    plugin = _OwnRuleFile()
    pm = make_plugin_manager(load_entry_points=False, extra_plugins=[plugin])
    # The spec points at a file that does not exist: only the plugin's answer can work.
    spec = _spec("school", SCHOOL_NAME, "school/missing.rules")
    assert rule_file_of(spec, pm).path.endswith("school/school.rules")
    assert plugin.asked == ["school"]


def test_timbra_rule_file_none_leaves_the_default() -> None:
    plugin = _OwnRuleFile()
    pm = make_plugin_manager(load_entry_points=False, extra_plugins=[plugin])
    academy = _spec("academy", "Accademia di Belle Arti di Macerata", "academy/academy.rules")
    assert rule_file_of(academy, pm).path.endswith("academy.rules")
    assert plugin.asked == ["academy"]


def test_spec_id_must_match_the_rule_file() -> None:
    pm = make_plugin_manager(load_entry_points=False)
    # The academy's rule file installed under the school's id and name.
    spec = _spec("school", SCHOOL_NAME, "academy/academy.rules")
    with pytest.raises(RuleError) as excinfo:
        rule_file_of(spec, pm)
    message = str(excinfo.value)
    assert "academy.rules:5:" in message  # the `institution academy {` line
    assert "institution 'academy' in the rule file" in message
    assert "installs it as institution 'school'" in message
    assert "name 'Accademia di Belle Arti di Macerata' in the rule file" in message
    assert SCHOOL_NAME in message and "test_plugin" in message


def test_spec_name_must_match_the_rule_file() -> None:
    pm = make_plugin_manager(load_entry_points=False)
    spec = _spec("school", "Liceo di Palermo", "school/school.rules")
    with pytest.raises(RuleError) as excinfo:
        rule_file_of(spec, pm)
    (diagnostic,) = excinfo.value.diagnostics
    assert (diagnostic.line, diagnostic.column) == (6, 10)  # the string after `name`
    assert f"name '{SCHOOL_NAME}' in the rule file" in diagnostic.message
    assert "'Liceo di Palermo'" in diagnostic.message


def test_rule_file_without_institution_block_is_refused() -> None:
    # The checker asks for the block, but a plugin's timbra_rule_file may build a RuleFile
    # of its own; the core still refuses one that does not say which institution it is.
    headless = dataclasses.replace(load_rule_file(PLUGINS / "school" / "school.rules"),
                                   institution=None)

    class Headless:
        @hookimpl
        def timbra_rule_file(self) -> ast.RuleFile:
            return headless

    pm = make_plugin_manager(load_entry_points=False, extra_plugins=[Headless()])
    with pytest.raises(RuleError, match="no institution block: plugin test_plugin installs"):
        rule_file_of(_spec("school", SCHOOL_NAME, "school/school.rules"), pm)


def test_built_in_plugins_declare_what_their_rule_files_say() -> None:
    for spec in institutions().values():
        if spec.id in BUILT_IN:
            assert rule_file_of(spec).institution is not None



class _TooManyArguments:
    @hookimpl
    def timbra_rule_file(self, spec: InstitutionSpec, month: str) -> None:
        return None


def test_hook_asking_for_an_argument_the_hook_does_not_give_fails_validation() -> None:
    with pytest.raises(PluginError, match="timbra_rule_file") as excinfo:
        make_plugin_manager(load_entry_points=False, extra_plugins=[_TooManyArguments()])
    assert "month" in str(excinfo.value)
