"""The terminal box installs alone: its wheel, paho-mqtt and PyYAML, and nothing of the server.

The wheel is built from `terminals/` with pip and installed into a fresh virtual environment
(no system site-packages, no pip). Wheels are zip files: a pure-Python one is installed by
unpacking it. paho-mqtt and PyYAML are copied from this environment, file by file as their
RECORD lists them, because nothing can be downloaded here; everything else stays out.
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TERMINALS = REPO / "terminals"
# What the terminal needs besides the standard library, as distributions and as modules.
DEPENDENCIES = {"paho-mqtt": "paho", "pyyaml": "yaml"}
SERVER_SIDE = ("server", "dsl", "plugins", "sqlalchemy", "litestar", "psycopg", "alembic",
               "pluggy", "lark", "uvicorn", "jinja2")

PROBE = """\
import importlib, importlib.util, json, pkgutil, sys

import terminals

modules = sorted(m.name for m in pkgutil.iter_modules(terminals.__path__, "terminals."))
for name in modules:
    importlib.import_module(name)
# Leading underscores are the interpreter's bookkeeping (__main__, _sysconfigdata_*) and the
# runtime of PyYAML's compiled extension (_yaml, _cython_*), as is cython_runtime.
foreign = sorted({name.partition(".")[0] for name in sys.modules}
                 - set(sys.stdlib_module_names) - {"terminals", "paho", "yaml", "cython_runtime"}
                 - {name for name in sys.modules if name.startswith("_")})
print(json.dumps({
    "modules": modules,
    "foreign": foreign,
    "importable": [n for n in sys.argv[1:] if importlib.util.find_spec(n) is not None],
    "file": terminals.__file__,
}))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("terminal-wheel")
    # A copy, so the build's own folders (build/, *.egg-info) never land in the checkout.
    source = work / "terminals"
    shutil.copytree(TERMINALS, source,
                    ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check",
         "--no-deps", "--no-build-isolation", "--no-index", "--wheel-dir", str(work / "dist"),
         str(source)],
        check=True, cwd=work,
    )  # fmt: skip
    (built,) = (work / "dist").glob("timbra_terminal-*.whl")
    return built


def _metadata(wheel: Path) -> str:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return archive.read(name).decode()


def test_terminal_wheel_requires_only_paho_and_pyyaml(wheel: Path) -> None:
    requires = [line.partition(":")[2].strip() for line in _metadata(wheel).splitlines()
                if line.startswith("Requires-Dist:")]
    assert sorted(requires) == ["paho-mqtt>=2.1", "pyyaml"]


def test_terminal_wheel_holds_the_terminal_alone(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        entry_points = next(archive.read(n).decode() for n in names
                            if n.endswith(".dist-info/entry_points.txt"))
    assert {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")} == {
        "terminals"}
    assert "terminals/protocol.py" in names and "terminals/example.yaml" in names
    assert "timbra-terminal = terminals.main:main" in entry_points


def _fresh_venv(folder: Path) -> tuple[Path, Path]:
    """A new environment with nothing in it; (its python, its site-packages)."""
    venv.EnvBuilder(system_site_packages=False, with_pip=False, symlinks=True).create(folder)
    python = folder / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    return python, Path(site)


def _copy_distribution(name: str, site: Path) -> None:
    dist = importlib.metadata.distribution(name)
    assert dist.files is not None, f"{name} has no RECORD"
    for file in dist.files:
        source = Path(str(dist.locate_file(file)))
        if "__pycache__" in file.parts or not source.is_file():
            continue
        target = site / file
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def test_terminal_installs_and_imports_without_the_server(wheel: Path, tmp_path: Path) -> None:
    python, site = _fresh_venv(tmp_path / "box")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    for distribution in DEPENDENCIES:
        _copy_distribution(distribution, site)

    result = subprocess.run(
        [str(python), "-I", "-c", PROBE, *SERVER_SIDE, *DEPENDENCIES.values()],
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    # The installed copy, not the checkout's.
    assert Path(seen["file"]).is_relative_to(site)
    # Every module of the terminal, the program and the simulator included, was imported.
    assert {"terminals.protocol", "terminals.link", "terminals.main",
            "terminals.simulator"} <= set(seen["modules"])
    assert seen["foreign"] == []
    assert seen["importable"] == list(DEPENDENCIES.values())  # sqlalchemy, litestar: absent

    # The program a person runs on the box starts and answers.
    help_text = subprocess.run(
        [str(python), "-I", "-m", "terminals.main", "--help"],
        check=True, capture_output=True, text=True, cwd=tmp_path,
    ).stdout
    assert "--config" in help_text


def test_terminal_source_imports_only_stdlib_paho_and_yaml() -> None:
    # Also the imports inside functions, which importing the modules above does not run.
    allowed = set(sys.stdlib_module_names) | {"terminals", *DEPENDENCIES.values()}
    outside = []
    for path in sorted(TERMINALS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            outside += [f"{path.name}:{node.lineno}: {name}" for name in names
                        if name.partition(".")[0] not in allowed]
    assert outside == []
