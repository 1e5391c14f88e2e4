"""Every hook is typed, documented in its docstring and in docs/plugins.md, and tested."""

import inspect
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from server import hookspecs
from server.plugins import hookspec_names

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs" / "plugins.md"
HOOK_NAME = re.compile(r"\btimbra_[a-z_]+\b")


def _hookspecs() -> list[Callable[..., Any]]:
    # pluggy marks each specification with a "<project>_spec" attribute.
    return [obj for obj in vars(hookspecs).values() if hasattr(obj, "timbra_spec")]


SPECS = _hookspecs()


def test_there_are_hookspecs() -> None:
    assert SPECS


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.__name__)
def test_hookspec_has_docstring(spec: Callable[..., Any]) -> None:
    assert inspect.getdoc(spec)


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.__name__)
def test_hookspec_is_fully_annotated(spec: Callable[..., Any]) -> None:
    signature = inspect.signature(spec, eval_str=True)
    assert signature.return_annotation is not inspect.Signature.empty
    for parameter in signature.parameters.values():
        assert parameter.annotation is not inspect.Parameter.empty, parameter.name


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.__name__)
def test_hookspec_is_documented(spec: Callable[..., Any]) -> None:
    docs = DOCS.read_text(encoding="utf-8")
    # An entry of its own in the hook reference, not just a mention.
    assert f"#### `{spec.__name__}(" in docs


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.__name__)
def test_hookspec_has_a_test(spec: Callable[..., Any]) -> None:
    tests = [
        path
        for path in (REPO / "tests").rglob("test_*.py")
        if path.name != Path(__file__).name and spec.__name__ in path.read_text(encoding="utf-8")
    ]
    assert tests, f"no test mentions {spec.__name__}"


def test_hookspec_names_lists_every_hook() -> None:
    assert hookspec_names() == [spec.__name__ for spec in SPECS]


def test_docs_name_only_hooks_that_exist() -> None:
    named = set(HOOK_NAME.findall(DOCS.read_text(encoding="utf-8")))
    assert named, "docs/plugins.md names no hook"
    assert named - set(hookspec_names()) == set()


@pytest.mark.parametrize("readme", sorted((REPO / "plugins").glob("*/README.md")),
                         ids=lambda path: path.parent.name)
def test_plugin_readme_hooks_exist_or_are_not_yet(readme: Path) -> None:
    # A README may propose a hook for a seed rule the language cannot say, but then it must
    # say, on the same line, that the hook does not exist yet.
    known = set(hookspec_names())
    unmarked = [
        f"{readme.parent.name}/README.md:{number}: {name}"
        for number, line in enumerate(readme.read_text(encoding="utf-8").splitlines(), 1)
        for name in HOOK_NAME.findall(line)
        if name not in known and "not yet" not in line
    ]
    assert unmarked == []
