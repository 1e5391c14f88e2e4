"""Imports point down (DESIGN.md "Shape"): web -> office -> days -> engine -> policy -> dsl,
ingest beside office, the CLI and the demo on top. Read from the source's import graph, so
a module that imports upwards (or a sibling across the layer) fails here by name."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A package may import its own modules and those of lower layers only. Within a layer,
# packages are siblings and do not import each other.
LAYERS: list[set[str]] = [
    {"dsl", "terminals", "server.errors", "server.settings", "server.minutes", "server.i18n",
     "server.private_files", "server.observe"},
    {"server.institutions"},
    {"server.hookspecs"},
    {"server.plugins"},
    {"server.policy"},
    {"server.engine"},
    {"server.db"},
    {"server.broker"},
    {"server.days"},
    {"server.office", "server.ingest"},
    {"server.web"},
    {"server.demo"},
    {"server.cli"},
]
RANK = {name: rank for rank, layer in enumerate(LAYERS) for name in layer}


def package_of(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "server" and len(parts) > 1 else parts[0]


def imports() -> list[tuple[str, str, str]]:
    """(file, importing package, imported package) for every import of our own code."""
    found = []
    for top in ("server", "dsl", "terminals"):
        for path in sorted((ROOT / top).rglob("*.py")):
            relative = path.relative_to(ROOT)
            source = package_of(".".join(relative.with_suffix("").parts))
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                elif isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                else:
                    continue
                for name in names:
                    if name.split(".")[0] in ("server", "dsl", "terminals", "plugins"):
                        found.append((str(relative), source, package_of(name)))
    return found


def test_every_package_has_a_layer() -> None:
    packages = {p for _, p, _ in imports()} | {p for _, _, p in imports()}
    assert packages - {"server"} <= set(RANK), sorted(packages - set(RANK) - {"server"})


def test_imports_point_down() -> None:
    wrong = [f"{file}: {source} imports {target}" for file, source, target in imports()
             if target != source and target != "server"
             and RANK.get(target, 99) >= RANK.get(source, -1)]
    assert not wrong, "\n".join(wrong)


def test_the_terminal_knows_nothing_of_the_server() -> None:
    assert not [i for i in imports() if i[1] == "terminals" and i[2] != "terminals"]
