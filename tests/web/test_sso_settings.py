"""The web app reads the institutions' single sign-on from the file `TIMBRA_SSO_FILE` names
when it starts, as `timbra run` starts it; a file it cannot use stops the start."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import sqlalchemy as sa
from databases import migrated_sqlite
from litestar.stores.memory import MemoryStore
from litestar.testing import TestClient

from server.db import make_engine
from server.office.sso.config import SsoConfigError
from server.web.app import create_app

LDAP_BLOCK = """
school:
  public_url: https://presenze.liceo.it
  ldap: {url: "ldap://127.0.0.1:9", base_dn: "ou=people,dc=liceo,dc=it"}
"""


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = make_engine(migrated_sqlite(tmp_path / "timbra.db"))
    yield engine
    engine.dispose()


def test_the_file_named_by_the_environment_configures_the_login_page(
        engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        stack: ExitStack) -> None:
    (tmp_path / "sso.yaml").write_text(LDAP_BLOCK, encoding="utf-8")
    monkeypatch.setenv("TIMBRA_SSO_FILE", str(tmp_path / "sso.yaml"))
    app = create_app(engine, data_dir=tmp_path, session_store=MemoryStore(), secret="x" * 40)
    client = stack.enter_context(TestClient(app, base_url="https://testserver.local"))
    page = client.get("/login")
    assert "Accedi con le credenziali di Ateneo" in page.text
    assert 'href="/sso/school/ldap?next=/"' in page.text
    assert client.get("/sso/school/ldap").status_code == 200
    assert client.get("/sso/university/ldap").status_code == 404


def test_without_the_file_only_local_passwords(engine: sa.Engine, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               stack: ExitStack) -> None:
    monkeypatch.delenv("TIMBRA_SSO_FILE", raising=False)
    app = create_app(engine, data_dir=tmp_path, session_store=MemoryStore(), secret="x" * 40)
    client = stack.enter_context(TestClient(app, base_url="https://testserver.local"))
    assert "credenziali di Ateneo" not in client.get("/login").text


def test_a_secret_written_in_the_file_stops_the_start(engine: sa.Engine, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "sso.yaml").write_text("""
university:
  public_url: https://presenze.ateneo.it
  oidc: {issuer: "https://idp", client_id: timbra, client_secret: "written-here"}
""", encoding="utf-8")
    monkeypatch.setenv("TIMBRA_SSO_FILE", str(tmp_path / "sso.yaml"))
    with pytest.raises(SsoConfigError, match=r"university\.oidc: unknown keys.*client_secret_env"):
        create_app(engine, data_dir=tmp_path, session_store=MemoryStore(), secret="x" * 40)
