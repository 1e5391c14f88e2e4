"""The monthly timecard PDF (cartellino mensile) as the employee and the office print it:
Italian by default, English when the reader chose it; the institution's letterhead, the
month's closure status, the print date, the signature lines, a Unicode TrueType font."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from pdf_text import font_names, pdf_text
from sqlalchemy.orm import Session
from world import World, world

from server.db import make_engine, upgrade
from server.i18n.current import use_locale
from server.office import closing
from server.office.summary import month_summary
from server.web.month_pdf import month_pdf
from server.web.routes.summaries import DEADLINE_LABELS

NOW = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)  # 10:30 in Rome


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('month_pdf')}/timbra.db")
    upgrade(engine)
    with Session(engine) as session:
        w = world(session, "school")
        w.employees["ann"].name = "Niccolò D’Amico"
        w.stamps("ann", date(2026, 4, 16), "in 07:30, out 13:00, in 13:30, out 16:12 code STRP")
        session.commit()
        yield w
    engine.dispose()


def printed(w: World, reader: str = "ann") -> str:
    summary = month_summary(w.session, w.users[reader], w.employees["ann"].id, 2026, 4,
                            now=NOW)
    pdf = month_pdf(w.session, summary, NOW, DEADLINE_LABELS)
    assert [n.split("+")[1] for n in font_names(pdf)] == ["DejaVuSansBold", "DejaVuSansBook"]
    return pdf_text(pdf)


def test_the_timecard_pdf_in_italian(school: World) -> None:
    text = printed(school)
    for shown in ("School", "Cartellino di Niccolò D’Amico (ANN) – aprile 2026",
                  "Mese aperto: i valori possono ancora cambiare",
                  "Stampato il 06/12/2026 10:30",
                  "gio 16/04/2026", "entrata 07:30, uscita 13:00, entrata 13:30, uscita 16:12",
                  "lun 06/04/2026",  # Easter Monday, nothing due
                  "Assenza da giustificare",
                  "Lavorato 7h12 · Dovuto 151h12 · Saldo -144h00",
                  "Straordinario retribuito 1h00 · a recupero 0h00 · Buoni pasto 0",
                  "Firma del dipendente", "Firma del responsabile"):
        assert shown in text, shown
    for english in ("Thu", "Worked", "signature", "absent", "Printed"):
        assert english not in text, english


def test_the_timecard_pdf_in_english_for_whom_chose_it(school: World) -> None:
    with use_locale("en"):
        text = printed(school)
    for shown in ("Timecard of Niccolò D’Amico (ANN) – April 2026",
                  "Month open: figures may still change", "Printed on 06/12/2026 10:30",
                  "Thu 16/04/2026", "in 07:30, out 13:00", "Absence to justify",
                  "Worked 7h12 · Due 151h12 · Balance -144h00",
                  "Employee's signature", "Manager's signature"):
        assert shown in text, shown
    assert "Firma" not in text and "gio " not in text


def test_a_closed_month_says_when_and_by_whom(school: World) -> None:
    office = school.users["office"]
    office.display_name = "Ufficio del personale"
    closing.close_month(school.session, office, 2026, 4, reason="chiusura di prova", now=NOW)
    school.session.commit()
    try:
        assert "Mese chiuso il 06/12/2026 10:30 da Ufficio del personale" in printed(
            school, "office")
    finally:
        closing.reopen(school.session, office, 2026, 4, "correzione", now=NOW)
        school.session.commit()
    assert "Mese aperto: i valori possono ancora cambiare" in printed(school, "office")
