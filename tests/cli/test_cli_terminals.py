"""`timbra terminals add|list|mosquitto` against a scratch SQLite database, migrated first
as a deployment does (`timbra db upgrade`): the commands themselves never migrate."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from databases import migrated_sqlite

from server.broker.acl import SERVER_USER
from server.cli.main import main
from server.db.broker_passwords import verify_password


@pytest.fixture
def database(tmp_path: Path) -> str:
    return migrated_sqlite(tmp_path / "timbra.db")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def field(output: str, name: str) -> str:
    found = re.search(rf"^{name}\s+(\S+)$", output, re.MULTILINE)
    assert found, f"no {name!r} line in {output!r}"
    return found.group(1)


def test_add_prints_credentials_once_and_list_shows_the_terminal(
        capsys: pytest.CaptureFixture[str], database: str) -> None:
    code, out, err = run(capsys, "terminals", "add", "--institution", "university",
                         "--terminal", "t01", "--location", "Via Festa del Perdono 7",
                         "--database", database)
    assert code == 0, err
    assert field(out, "username") == "university.t01"
    assert field(out, "topic prefix") == "timbra/university/t01/"
    password = field(out, "password")
    assert len(password) >= 16

    code, out, err = run(capsys, "terminals", "list", "--database", database)
    assert code == 0
    assert "university.t01" in out and "Via Festa del Perdono 7" in out
    assert password not in out + err  # shown once, by add, and never again


def test_mosquitto_writes_files_that_accept_the_printed_password(
        capsys: pytest.CaptureFixture[str], database: str, tmp_path: Path) -> None:
    _, out, _ = run(capsys, "terminals", "add", "--institution", "school",
                    "--terminal", "atrio", "--database", database)
    password = field(out, "password")
    out_dir = tmp_path / "mosquitto"
    code, out, err = run(capsys, "terminals", "mosquitto", "--out", str(out_dir),
                         "--port", "18883", "--database", database)
    assert code == 0, err
    users = dict(line.split(":", 1) for line in (out_dir / "passwd").read_text().splitlines())
    assert set(users) == {SERVER_USER, "school.atrio"}
    assert verify_password(password, users["school.atrio"])
    server_password = field(out, "password")
    assert verify_password(server_password, users[SERVER_USER])
    acl = (out_dir / "acl").read_text()
    assert "user school.atrio\ntopic write timbra/school/atrio/stamp\n" in acl
    conf = (out_dir / "mosquitto.conf").read_text()
    assert "listener 18883 0.0.0.0" in conf and "allow_anonymous false" in conf
    assert f"password_file {out_dir / 'passwd'}" in conf
    assert oct((out_dir / "passwd").stat().st_mode & 0o777) == "0o600"

    # Regenerating after another terminal keeps the server's credentials.
    run(capsys, "terminals", "add", "--institution", "school", "--terminal", "palestra",
        "--database", database)
    code, out, _ = run(capsys, "terminals", "mosquitto", "--out", str(out_dir),
                       "--database", database)
    assert code == 0 and "password" not in out
    users = dict(line.split(":", 1) for line in (out_dir / "passwd").read_text().splitlines())
    assert set(users) == {SERVER_USER, "school.atrio", "school.palestra"}
    assert verify_password(server_password, users[SERVER_USER])


def test_database_url_comes_from_the_environment(
        capsys: pytest.CaptureFixture[str], database: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIMBRA_DATABASE_URL", database)
    assert run(capsys, "terminals", "add", "--institution", "academy", "--terminal", "t1")[0] == 0
    assert "academy.t1" in run(capsys, "terminals", "list", "--database", database)[1]


@pytest.mark.parametrize(("argv", "message"), [
    (["--institution", "atlantis", "--terminal", "t01"], "unknown institution 'atlantis'"),
    (["--institution", "Bad Id", "--terminal", "t01"], "invalid institution id"),
    (["--institution", "university", "--terminal", "T 01"], "terminal id 'T 01'"),
])
def test_add_errors_exit_2_with_a_message(capsys: pytest.CaptureFixture[str], database: str,
                                          argv: list[str], message: str) -> None:
    code, out, err = run(capsys, "terminals", "add", *argv, "--database", database)
    assert code == 2
    assert message in err and "Traceback" not in err
    assert "password" not in out


def test_duplicate_terminal_exits_2(capsys: pytest.CaptureFixture[str], database: str) -> None:
    argv = ("terminals", "add", "--institution", "chamber", "--terminal", "ingresso",
            "--database", database)
    assert run(capsys, *argv)[0] == 0
    code, out, err = run(capsys, *argv)
    assert code == 2 and "already exists" in err and out == ""


def test_unusable_database_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "terminals", "list", "--database", "nosuchdb://user:secret@x/y")
    assert code == 2 and "cannot open the database" in err
    assert "secret" not in err
