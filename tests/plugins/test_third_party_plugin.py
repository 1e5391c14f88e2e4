"""A plugin shipped as its own distribution is found once pip has installed it, and a broken
one stops `timbra` at start."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

PYPROJECT = """\
[build-system]
requires = ["setuptools>=70.1"]
build-backend = "setuptools.build_meta"

[project]
name = "{distribution}"
version = "0.3.0"

[project.entry-points.timbra]
{entry_point} = "{module}"

[tool.setuptools]
py-modules = ["{module}"]
"""

MODULE = """\
from pathlib import Path

from server.hookspecs import hookimpl
from server.institutions import InstitutionSpec


@hookimpl
def timbra_institutions():
    return [
        InstitutionSpec(
            id="thirdparty",
            name="Third-party institution",
            rule_file=Path(__file__).parent / "thirdparty.rules",
            plugin="timbra-thirdparty-demo",
            version="0.3.0",
        )
    ]
"""

PROBE = textwrap.dedent(
    """\
    from server.plugins import installed_plugins, institutions

    print(" ".join(sorted(institutions())))
    print(dict(installed_plugins())["thirdparty"])
    """
)


MISSPELLED = """\
from server.hookspecs import hookimpl


@hookimpl
def timbra_institution():
    return []
"""


def _install(tmp_path: Path, distribution: str, entry_point: str, module_text: str) -> Path:
    """pip-install a one-module plugin distribution into a directory of its own."""
    module = distribution.replace("-", "_")
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "pyproject.toml").write_text(
        PYPROJECT.format(distribution=distribution, entry_point=entry_point,
                         module=module))
    (package / f"{module}.py").write_text(module_text)
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
            "--no-index", "--no-deps", "--no-build-isolation",
            "--target", str(site), str(package),
        ],
        check=True,
        cwd=tmp_path,
    )  # fmt: skip
    return site


def _env(site: Path) -> dict[str, str]:
    # The plugin's directory first, then whatever already finds timbra (a worktree, say).
    return {**os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(site),
                                                        os.environ.get("PYTHONPATH")]))}


def test_third_party_distribution_is_discovered(tmp_path: Path) -> None:
    site = _install(tmp_path, "timbra-thirdparty-demo", "thirdparty", MODULE)
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        check=True,
        capture_output=True,
        text=True,
        env=_env(site),
        cwd=tmp_path,
    )
    ids_line, version_line = result.stdout.splitlines()
    assert set(ids_line.split()) == {"academy", "chamber", "school", "thirdparty", "university"}
    assert version_line == "0.3.0"


def test_misspelled_hook_stops_timbra_at_start(tmp_path: Path) -> None:
    site = _install(tmp_path, "timbra-misspelled-demo", "misspelled", MISSPELLED)
    rules = Path(__file__).resolve().parents[2] / "plugins" / "school" / "school.rules"
    result = subprocess.run(
        [sys.executable, "-m", "server.cli.main", "rules", "check", str(rules)],
        capture_output=True,
        text=True,
        env=_env(site),
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert "timbra_institution" in result.stderr
    assert ("known hooks: timbra_employee_schedules, timbra_institutions, timbra_rule_file"
            in result.stderr)
    assert "Traceback" not in result.stderr


ROTA_MODULE = """\
from datetime import timedelta

from server.engine import Schedule
from server.hookspecs import hookimpl


@hookimpl
def timbra_employee_schedules(session, institution_id, employees, first, last):
    # An institution's own rota system: employee numbers starting with N work nights on
    # even days; the school's numbers only. Others leave it to the database.
    if institution_id != "school":
        return None
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return {employee_id: {day: Schedule("part_time_vertical", frozenset({1}), "N")
                          for day in days if day.day % 2 == 0}
            for employee_id, number in employees.items() if number.startswith("N")}
"""

ROTA_PROBE = textwrap.dedent(
    """\
    import sys
    from datetime import date

    from sqlalchemy.orm import Session

    from server.db import make_engine, upgrade
    from server.db.directory import add_employee, ensure_institution
    from server.days.schedules import load_schedules

    engine = make_engine(f"sqlite:///{sys.argv[1]}/timbra.db")
    upgrade(engine)
    with Session(engine) as session:
        ensure_institution(session, "school", "School")
        ensure_institution(session, "academy", "Academy")
        night = add_employee(session, "school", "N1", "Nina")
        day = add_employee(session, "school", "D1", "Dario")
        other = add_employee(session, "academy", "N2", "Nora")
        found = load_schedules(session, [night, day, other], date(2026, 4, 1),
                               date(2026, 4, 4))
        for (employee_id, when), schedule in sorted(found.items()):
            print(employee_id == night.id, when.day, schedule.profile,
                  sorted(schedule.chosen), schedule.shift)
    """
)


def test_a_plugin_gives_the_schedules_from_its_own_rota(tmp_path: Path) -> None:
    """Issue 11: "an institution can provide e.g. an employee's schedule from its own rota
    system", through `timbra_employee_schedules`, installed as a distribution of its own.
    Its answer replaces the database's for its institution; another institution still
    gets the core's default (no period, no rota: nothing but the base profile)."""
    site = _install(tmp_path, "timbra-rota-demo", "rota", ROTA_MODULE)
    result = subprocess.run([sys.executable, "-c", ROTA_PROBE, str(tmp_path)], check=True,
                            capture_output=True, text=True, env=_env(site), cwd=tmp_path)
    assert result.stdout.splitlines() == ["True 2 part_time_vertical [1] N",
                                          "True 4 part_time_vertical [1] N"]
