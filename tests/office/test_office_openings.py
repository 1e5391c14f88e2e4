"""An institution adopting timbra mid-year brings each employee's opening balances in one
CSV file, as Italian Excel saves it: the hours account, the leave days left, the hours of
yearly allowances already used. Every line is checked and nothing is written unless all
are right; the year's limits then count what the old system counted plus timbra's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from world import World, world

from server.db import make_engine, upgrade
from server.db.account_tables import AccountOpening
from server.db.allowance_tables import AllowanceOpening
from server.db.leave_tables import LeaveOpening
from server.db.models import AuditEntry
from server.errors import NotAllowed, NotFound, OfficeError
from server.office.allowance_openings import set_allowance_opening
from server.office.csv_files import ImportRefused
from server.office.leave import leave_of_employee
from server.office.openings_import import import_openings, template_csv
from server.office.summary import month_summary

APRIL_10 = datetime(2026, 4, 10, 9, 0, tzinfo=UTC)
HEADER = ("Matricola;Data;Saldo ore;Ferie;Ferie anno precedente;Festività soppresse;"
          "Esigenze personali a recupero (art. 100 CCNL) - ore usate;Motivo\r\n")


def _university(engine: sa.Engine) -> Iterator[World]:
    with Session(engine) as session:
        w = world(session, "university")
        # A permit of code 29 (personal needs) taken in timbra: out at 10:00, back at 11:00.
        w.stamps("ann", date(2026, 3, 3), "in 08:00, out 10:00 code 29, in 11:00, out 16:00")
        w.session.commit()
        yield w


@pytest.fixture
def university(db_engine: sa.Engine) -> Iterator[World]:
    """On both databases: what is stored and read back."""
    yield from _university(db_engine)


@pytest.fixture
def university_sqlite(tmp_path: Path) -> Iterator[World]:
    """On one database: what is only checked."""
    engine = make_engine(f"sqlite:///{tmp_path}/timbra.db")
    upgrade(engine)
    yield from _university(engine)
    engine.dispose()


def _stored(session: Session) -> tuple[int, ...]:
    return tuple(session.scalar(sa.select(sa.func.count()).select_from(table)) or 0
                 for table in (AccountOpening, LeaveOpening, AllowanceOpening, AuditEntry))


def test_an_excel_file_of_openings_is_written_and_the_yearly_allowance_counts_it(
        university: World) -> None:
    """Seed 002 l.104: «può usufruire di permessi orari brevi per un totale di 36 ore
    annue»: the 36 hours are checked against the hours used before timbra too."""
    w, ann = university, university.employees["ann"]
    used_before_timbra = "30:00"
    data = (HEADER + f"ANN;01/03/2026;-3:30;12,5;2;4;{used_before_timbra};adozione\r\n"
            "CAT;01/03/2026;12:15;;;;;\r\n").encode("cp1252")  # Windows-1252, as Excel
    result = import_openings(w.session, w.users["office"], data, now=APRIL_10)
    assert result.numbers == ["ANN", "CAT"]

    march = month_summary(w.session, w.users["office"], ann.id, 2026, 3, now=APRIL_10)
    [needs] = [a for a in march.result.allowances if a.name == "personal_needs"]
    assert needs.used_before == 30 * 60  # the file's figure
    assert needs.used > 0  # the permit taken in timbra
    assert needs.left == needs.entitled - needs.used_before - needs.used
    assert march.account is not None
    assert march.account.opening.balance == -(3 * 60 + 30)  # the file's debt, carried

    [ferie] = [y for y in leave_of_employee(w.session, w.users["office"], ann.id,
                                            date(2026, 3, 16)) if y.name == "ferie"]
    assert (ferie.left, ferie.carried_in) == (25, 4)  # half days: 12,5 and 2 days

    actions = w.session.scalars(sa.select(AuditEntry.action)).all()
    [cat_audit] = w.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "account_opening_set",
        AuditEntry.target == f"employee:{w.employees['cat'].id}")).all()
    assert cat_audit.detail["reason"] == "importazione dei saldi iniziali, riga 3"
    assert actions.count("account_opening_set") == 2
    assert actions.count("leave_opening") == 2
    assert actions.count("allowance_opening_set") == 1
    assert actions.count("openings_imported") == 1


def test_one_bad_line_writes_nothing_and_every_error_is_an_italian_sentence_with_its_line(
        university_sqlite: World) -> None:
    w = university_sqlite
    before = _stored(w.session)
    data = ("\ufeff" + HEADER +
            "ANN;01/03/2026;-3:30;12,5;;;10:00;\r\n"  # right: not kept either
            "BOB;16/03/2026;1:00;x;;;;\r\n"
            "ZZZ;01/03/2026;1:00;;;;;\r\n"
            "CAT;31/02/2026;;;;;;\r\n"
            "ANN;01/03/2026;;1;;;;\r\n").encode("utf-8")
    with pytest.raises(ImportRefused) as refused:
        import_openings(w.session, w.users["office"], data, now=APRIL_10)
    said = [(e.line, e.italian) for e in refused.value.errors]
    assert [line for line, _ in said] == [3, 3, 4, 5, 6]
    assert "«x» non è un numero di giorni" in said[0][1]
    assert "primo giorno di un mese" in said[1][1]  # the account's own rule, from its service
    assert "la matricola ZZZ non corrisponde a nessun dipendente" in said[2][1]
    assert "la data «31/02/2026» non è valida" in said[3][1]
    assert "compare già alla riga 2" in said[4][1]
    assert _stored(w.session) == before


def test_the_file_is_bounded_and_its_headings_are_the_rules_in_force(
        university_sqlite: World) -> None:
    w, office = university_sqlite, university_sqlite.users["office"]
    with pytest.raises(ImportRefused) as large:
        import_openings(w.session, office, b"x" * (2 * 1024 * 1024 + 1), now=APRIL_10)
    assert "il file supera 2 MB" in large.value.errors[0].italian
    with pytest.raises(ImportRefused) as many:
        import_openings(w.session, office, "matricola;data\n" + "ANN;01/03/2026\n" * 10_001,
                        now=APRIL_10)
    assert "più di 10000 righe" in many.value.errors[0].italian
    with pytest.raises(ImportRefused) as long_field:
        import_openings(w.session, office, f"matricola;data;ferie\nANN;01/03/2026;{'1' * 200}",
                        now=APRIL_10)
    assert "è troppo lungo" in long_field.value.errors[0].italian
    with pytest.raises(ImportRefused) as binary:  # an .xlsx sent as it is
        import_openings(w.session, office, b"PK\x03\x04\x00\x00", now=APRIL_10)
    assert "non è un CSV di testo" in binary.value.errors[0].italian
    with pytest.raises(ImportRefused) as unknown:
        import_openings(w.session, office, "matricola;data;ferie;gettoni\n", now=APRIL_10)
    assert [e.italian[:33] for e in unknown.value.errors] == ["la colonna «gettoni» non è ricono"]

    headings = template_csv(w.session, office).removeprefix("\ufeff").strip().split(";")
    assert {"matricola", "data", "saldo ore", "ferie", "ferie anno precedente",
            "festività soppresse"} <= set(headings)
    # A template's headings are read back by the import (the file as the office fills it).
    values = {"matricola": "ANN", "data": "01/03/2026", "ferie": "3"}
    filled = ";".join(headings) + "\r\n" + ";".join(values.get(h, "") for h in headings)
    assert import_openings(w.session, office, filled, now=APRIL_10).numbers == ["ANN"]


def test_only_the_office_of_the_institution_sets_an_allowance_used(
        university_sqlite: World) -> None:
    w, ann = university_sqlite, university_sqlite.employees["ann"].id
    with pytest.raises(NotAllowed):
        set_allowance_opening(w.session, w.users["lab_head"], ann, "personal_needs",
                              date(2026, 3, 1), 60, now=APRIL_10)
    school = world(w.session, "school")
    with pytest.raises(NotFound):
        set_allowance_opening(w.session, school.users["office"], ann, "personal_needs",
                              date(2026, 3, 1), 60, now=APRIL_10)
    with pytest.raises(OfficeError, match="personal_needs"):  # the valid names are listed
        set_allowance_opening(w.session, w.users["office"], ann, "gettoni",
                              date(2026, 3, 1), 60, now=APRIL_10)
    with pytest.raises(OfficeError, match="da 0 a 9999"):
        set_allowance_opening(w.session, w.users["office"], ann, "personal_needs",
                              date(2026, 3, 1), -60, now=APRIL_10)
