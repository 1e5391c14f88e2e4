"""Every test path the documentation names exists: the tests moved into folders by area once,
and a README pointing at `tests/test_x.py` would send a reader nowhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SKIP_DIRS = {".git", ".venv", "node_modules", "build", "dist"}
# Written by the browser tests, ignored by git: absent from a fresh clone until they run.
GENERATED = {"tests/artifacts"}
TEST_PATH = re.compile(r"\btests/[\w./-]*[\w/]")
TEST_NAME = re.compile(r"(?<![\w/])(test_\w+\.py)\b")


def documents() -> list[Path]:
    found = [ROOT / "Makefile", *ROOT.glob("*.toml"), *ROOT.glob("*/pyproject.toml")]
    found += [path for path in ROOT.rglob("*.md")
              if not SKIP_DIRS & set(path.relative_to(ROOT).parts)]
    return sorted(path for path in found if path.is_file())


def test_the_documents_are_found() -> None:
    names = {path.relative_to(ROOT).as_posix() for path in documents()}
    assert {"README.md", "docs/plugins.md", "pyproject.toml", "Makefile"} <= names


@pytest.mark.parametrize(
    "document", documents(), ids=lambda path: path.relative_to(ROOT).as_posix())
def test_every_test_path_named_exists(document: Path) -> None:
    text = document.read_text(encoding="utf-8")
    test_files = {path.name for path in (ROOT / "tests").rglob("test_*.py")}
    missing = [path for path in TEST_PATH.findall(text)
               if path.rstrip("/") not in GENERATED and not (ROOT / path).exists()]
    missing += [name for name in TEST_NAME.findall(text) if name not in test_files]
    assert not missing, f"{document.relative_to(ROOT)} names {missing}"
