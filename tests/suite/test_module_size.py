"""Small modules named for what they hold (issue 10): no module under server/, dsl/ or
terminals/ over 400 lines, no function or method over 60 (its decorators and docstring
included). Read from the source, so whatever grows past the limit fails here by name."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60

# Being rewritten on another branch when this test arrived (issue 10, "one engine
# definition"): that work is merged, nothing is left here.
REWORKED_ELSEWHERE: set[str] = set()


def modules() -> dict[str, Path]:
    found = [path for top in ("server", "dsl", "terminals") for path in (ROOT / top).rglob("*.py")]
    # Alembic revisions are written once and replayed, never read to understand the code.
    return {path.relative_to(ROOT).as_posix(): path for path in sorted(found)
            if "migrations" not in path.relative_to(ROOT).parts}


def too_long(name: str, source: str) -> list[str]:
    """One line per limit the source passes: the module's length, then each function's."""
    lines = len(source.splitlines())
    found = [f"{name} has {lines} lines"] if lines > MAX_MODULE_LINES else []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            length = (node.end_lineno or node.lineno) - first + 1
            if length > MAX_FUNCTION_LINES:
                found.append(f"{name}:{node.lineno} {node.name}() has {length} lines")
    return found


def test_the_modules_are_found() -> None:
    names = set(modules())
    assert {"dsl/parser.py", "server/engine/day.py", "terminals/link.py"} <= names
    assert not [name for name in names if "/migrations/" in name]


def test_no_module_or_function_passes_the_limits() -> None:
    offenders = [line for name, path in modules().items() if name not in REWORKED_ELSEWHERE
                 for line in too_long(name, path.read_text(encoding="utf-8"))]
    assert not offenders, "split these:\n" + "\n".join(offenders)


def test_the_limits_are_counted_as_a_reader_sees_them() -> None:
    body = "".join(f"    x{i} = {i}\n" for i in range(MAX_FUNCTION_LINES - 2))
    # fits: decorator, def and 58 lines make 60; grows: def, 58 lines and 2 more make 61.
    source = f"@cache\ndef fits():\n{body}\n\ndef grows():\n{body}    x = 0\n    return x\n"
    assert too_long("sample.py", source) == ["sample.py:63 grows() has 61 lines"]
    padded = source + "\n" * (MAX_MODULE_LINES - len(source.splitlines()) + 1)
    assert too_long("sample.py", padded)[0] == f"sample.py has {MAX_MODULE_LINES + 1} lines"
