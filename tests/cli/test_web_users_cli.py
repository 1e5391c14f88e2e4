"""`timbra users add`: the account gets a one-time password that must be changed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from databases import migrated_sqlite
from sqlalchemy.orm import Session

from server.cli.main import main
from server.db import make_engine
from server.db.directory import add_employee, ensure_institution
from server.db.models import User
from server.office.passwords import verify_password


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = migrated_sqlite(tmp_path / "timbra.db")
    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        ensure_institution(session, "school", "Liceo")
        add_employee(session, "school", "M001", "Anna Verdi", unit="Segreteria")
    engine.dispose()
    return url


def test_users_add_prints_a_one_time_password(database: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["users", "add", "--institution", "school", "--username", "anna",
                 "--role", "employee", "--employee", "M001", "--database", database])
    out = capsys.readouterr().out
    assert code == 0
    password = re.search(r"one-time password: (\S+)", out)
    assert password
    engine = make_engine(database)
    with Session(engine) as session:
        user = session.scalar(sa.select(User).where(User.username == "anna"))
        assert user is not None
        assert (user.role, user.institution_id, user.must_change_password) == (
            "employee", "school", True)
        assert user.display_name == "Anna Verdi" and user.employee_id is not None
        assert password.group(1) not in user.password_hash
        assert verify_password(user.password_hash, password.group(1))
    engine.dispose()


@pytest.mark.parametrize("extra, message", [
    (["--role", "employee", "--employee", "M999"], "no employee with number"),
    (["--role", "employee"], "needs --employee"),
    (["--role", "manager"], "needs --unit"),
    (["--role", "office", "--institution", "nowhere"], "unknown institution"),
])
def test_users_add_refuses_what_cannot_be(database: str, capsys: pytest.CaptureFixture[str],
                                          extra: list[str], message: str) -> None:
    args = ["users", "add", "--institution", "school", "--username", "x", *extra,
            "--database", database]
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_a_username_is_taken_once(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["users", "add", "--institution", "school", "--username", "boss", "--role",
            "manager", "--unit", "Segreteria", "--database", database]
    assert main(args) == 0
    assert main(args) == 2
    assert "already taken" in capsys.readouterr().err
