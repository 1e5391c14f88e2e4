"""Every hook is typed, documented in its docstring and in docs/plugins.md, and tested."""

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from server import hookspecs

REPO = Path(__file__).resolve().parent.parent


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
    docs = (REPO / "docs" / "plugins.md").read_text(encoding="utf-8")
    assert f"`{spec.__name__}" in docs


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.__name__)
def test_hookspec_has_a_test(spec: Callable[..., Any]) -> None:
    tests = [
        path
        for path in (REPO / "tests").rglob("test_*.py")
        if path.name != Path(__file__).name and spec.__name__ in path.read_text(encoding="utf-8")
    ]
    assert tests, f"no test mentions {spec.__name__}"
