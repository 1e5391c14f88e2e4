"""A plugin shipped as its own distribution is found once pip has installed it."""

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
name = "timbra-thirdparty-demo"
version = "0.3.0"

[project.entry-points.timbra]
thirdparty = "timbra_thirdparty_demo"

[tool.setuptools]
py-modules = ["timbra_thirdparty_demo"]
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
            rules=(Path(__file__).parent / "thirdparty.rules",),
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


def test_third_party_distribution_is_discovered(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "pyproject.toml").write_text(PYPROJECT)
    (package / "timbra_thirdparty_demo.py").write_text(MODULE)
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

    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    ids_line, version_line = result.stdout.splitlines()
    assert set(ids_line.split()) == {"academy", "chamber", "school", "thirdparty", "university"}
    assert version_line == "0.3.0"
