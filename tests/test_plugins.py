"""The plugin manager: discovery through entry points, validation, conflicts."""

import importlib
import re
from importlib.metadata import version
from pathlib import Path

import pytest

from server.hookspecs import hookimpl
from server.institutions import InstitutionSpec
from server.plugins import (
    PluginError,
    get_plugin_manager,
    installed_plugins,
    institutions,
    make_plugin_manager,
)

BUILT_IN = {"chamber", "university", "school", "academy"}
REPO = Path(__file__).resolve().parent.parent


def test_built_in_institutions_are_discovered_through_entry_points() -> None:
    found = institutions()
    assert found.keys() >= BUILT_IN
    for institution_id in BUILT_IN:
        spec = found[institution_id]
        assert spec.id == institution_id
        assert spec.name
        package = importlib.import_module(f"plugins.{institution_id}")
        assert package.__file__ is not None
        (rules,) = spec.rules
        assert rules.name == f"{institution_id}.rules"
        assert rules.parent == Path(package.__file__).parent
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
                id="school", name="Another school", rules=(), plugin="rival_plugin", version="9.9"
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
