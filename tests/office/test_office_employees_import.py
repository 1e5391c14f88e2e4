"""Employees imported from CSV: per-line errors, all or nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from world import World, world

from server.days.employment import NO_START, contracts_of
from server.db import make_engine, upgrade
from server.db.models import AuditEntry, Badge, Employee
from server.errors import NotAllowed
from server.i18n.current import use_locale
from server.office.employees_import import ImportRefused, import_employees, read_header

TODAY = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def uni(db_engine: sa.Engine) -> Iterator[World]:
    with Session(db_engine) as session:
        yield world(session, "university")


def employees(w: World) -> int:
    return w.session.scalar(sa.select(sa.func.count()).select_from(Employee)) or 0


def test_a_clean_file_creates_employees_with_badges(uni: World) -> None:
    data = ("number,name,profile,unit,badge,part_time_percent\n"
            "M100,Luca Bianchi,full_time,lab,5100,\n"
            "M101,Sara Neri,part_time_6h,library,5101,83\n").encode("utf-8-sig")
    result = import_employees(uni.session, uni.users["admin"], data, today=TODAY, now=NOW)
    assert [(e.number, e.profile, e.part_time_percent) for e in result.created] == [
        ("M100", "full_time", 100), ("M101", "part_time_6h", 83)]
    assert set(uni.session.scalars(sa.select(Badge.code))) == {"5100", "5101"}
    entry = uni.session.scalars(sa.select(AuditEntry)).one()
    assert entry.detail["count"] == 2


def test_one_bad_line_writes_nothing_and_every_error_names_its_line(uni: World) -> None:
    before = employees(uni)
    data = ("number,name,profile,badge\n"
            "M100,Luca Bianchi,full_time,5100\n"
            "M101,Sara Neri,full_time_7h,5100\n"
            "ANN,Ann Again,full_time,\n"
            ",Senza Matricola,full_time,\n")
    with pytest.raises(ImportRefused) as refused:
        import_employees(uni.session, uni.users["office"], data, today=TODAY, now=NOW)
    profiles = "full_time, full_time_returns, part_time_6h, six_days, six_days_rearranged"
    assert [(e.line, e.italian) for e in refused.value.errors] == [
        (3, "il profilo «full_time_7h» non esiste nelle regole in vigore; i profili validi "
            f"sono: {profiles}."),
        (3, "il badge 5100 compare già alla riga 2."),
        (4, "la matricola ANN è già presente."),
        (5, "manca la matricola."),
    ]
    assert [e.english for e in refused.value.errors][:2] == [
        "the profile “full_time_7h” is not in the rules in force; the valid profiles are: "
        f"{profiles}.", "the badge 5100 is already on line 2."]
    assert employees(uni) == before
    assert uni.session.scalar(sa.select(sa.func.count()).select_from(Badge)) == 0


def test_what_italian_excel_writes_is_imported(uni: World) -> None:
    """Excel in Italian saves `;` between fields, and in Windows-1252 unless told UTF-8;
    the headings are the office's own words; empty lines of separators at the end."""
    data = ("Matricola;Nome;Profilo;Unità;Part-time;Badge;;\r\n"
            "M100;Niccolò Bianchi;full_time;Segreteria;;5100;;\r\n"
            "M101;Sara Neri;part_time_6h;Biblioteca;83%;5101;;\r\n"
            ";;;;;;;\r\n").encode("cp1252")
    result = import_employees(uni.session, uni.users["office"], data, today=TODAY, now=NOW)
    assert [(e.number, e.name, e.unit, e.part_time_percent) for e in result.created] == [
        ("M100", "Niccolò Bianchi", "Segreteria", 100), ("M101", "Sara Neri", "Biblioteca", 83)]
    utf8 = "\ufeffmatricola;nome;profilo\nM102;Zoë Ferrari;full_time\n".encode()
    [zoe] = import_employees(uni.session, uni.users["office"], utf8, today=TODAY,
                             now=NOW).created
    assert zoe.name == "Zoë Ferrari"


def test_a_wrong_header_is_told_in_sentences_before_any_line() -> None:
    assert read_header(["Matricola", "NOME", "Profilo orario", "Reparto", "Part time %"]) == [
        "number", "name", "profile", "unit", "part_time_percent"]
    with pytest.raises(ImportRefused) as refused:
        read_header(["matricola", "nome", "reparto", "età"])
    messages = [str(e) for e in refused.value.errors]
    # In the reader's language only (Italian, the default).
    assert messages == [
        "riga 1: la colonna «età» non è riconosciuta; le colonne valide sono matricola, nome, "
        "profilo, unità, categoria, part-time, badge, inizio.",
        "riga 1: manca la colonna «profilo» (o «profile»).",
    ]
    with use_locale("en"):
        assert str(refused.value.errors[1]) == (
            "line 1: the column “profile” (or “profilo”) is missing.")
    assert not [m for m in messages if "[" in m or "'" in m]  # no Python list in sight


def test_bad_lines_of_a_spreadsheet_are_told_by_line(tmp_path: Path) -> None:
    """Checking lines is logic: one database (SQLite) is enough."""
    engine = make_engine(f"sqlite:///{tmp_path}/timbra.db")
    upgrade(engine)

    def refused(text: str) -> list[tuple[int, str]]:
        with pytest.raises(ImportRefused) as refusal:
            import_employees(session, uni.users["office"], text, today=TODAY, now=NOW)
        return [(e.line, e.italian) for e in refusal.value.errors]
    with Session(engine) as session:
        uni = world(session, "university")
        assert refused("matricola;nome;profilo;part-time;\nM1;Uno;full_time;83,5;\n"
                       "M2;Due;full_time;0%\nM3;Tre;full_time;1;;x\n"
                       "M4;Quattro;full_time;;x\n") == [
            (2, "la percentuale di part-time «83,5» non è un numero intero da 1 a 100."),
            (3, "la percentuale di part-time «0%» non è un numero intero da 1 a 100."),
            (4, "la riga ha 6 campi, l'intestazione 5: un separatore di troppo?"),
            (5, "la riga ha un valore in una colonna senza intestazione: un separatore di "
                "troppo?")]
        assert refused(f"matricola;nome;profilo\nM1;{'x' * 200_000};full_time\n") == [
            (1, "il file non si legge come CSV: un campo supera 128 KB o va a capo fuori "
                "dalle virgolette.")]
    engine.dispose()


def test_employees_cannot_import(uni: World) -> None:
    with pytest.raises(NotAllowed):
        import_employees(uni.session, uni.users["ann"], "number,name,profile\n", today=TODAY)


def test_an_italian_file_gives_each_employee_a_contract_from_its_inizio(uni: World) -> None:
    data = ("matricola;nome;profilo;inizio\r\n"
            "M100;Anna Neri;full_time;16/03/2026\r\n"
            "M101;Bruno Blu;full_time;\r\n"
            "M102;Carla Verdi;full_time;31/02/2026\r\n").encode("utf-8-sig")
    with pytest.raises(ImportRefused) as refused:
        import_employees(uni.session, uni.users["office"], data, today=TODAY, now=NOW)
    assert [(e.line, e.italian) for e in refused.value.errors] == [
        (4, "la data di inizio «31/02/2026» non è valida (GG/MM/AAAA).")]
    created = import_employees(uni.session, uni.users["office"], data.rsplit(b"M102", 1)[0],
                               today=TODAY, now=NOW).created
    starts = contracts_of(uni.session, created)
    assert [c.start for c in starts[created[0].id]] == [date(2026, 3, 16)]
    assert [c.start for c in starts[created[1].id]] == [NO_START]  # no start on record
