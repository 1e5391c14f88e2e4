"""What the person at the terminal reads."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from terminals import display
from terminals.protocol import AckItem, ReplyMessage
from terminals.reader import Expired, Invalid, Pending

T = datetime(2026, 3, 2, 8, 3, 41, tzinfo=timezone(timedelta(hours=1)))


def test_registered_stamp_shows_time_direction_and_code() -> None:
    assert display.stamp_recorded(T, "in") == "Timbratura registrata 08:03 E"
    assert display.stamp_recorded(T, "out", "29", {"29": "permesso personale"}) == \
        "Timbratura registrata 08:03 U cod. 29 permesso personale"
    assert display.stamp_recorded(T, None) == "Timbratura registrata 08:03"


def test_queue_waiting_for_the_network() -> None:
    assert display.waiting_for_network(3) == "In attesa di rete (3 in coda)"
    assert display.connection(False, 0) == "In attesa di rete (0 in coda)"
    assert display.connection(True, 0) == "In linea"


def test_server_refusal_is_shown_but_a_stored_stamp_is_not_shown_twice() -> None:
    assert display.ack(AckItem(1, "stored", "Timbratura registrata")) is None
    assert display.ack(AckItem(2, "rejected", "Badge sconosciuto", "unknown badge")) == \
        "Badge sconosciuto"
    assert display.ack(AckItem(3, "rejected", "", "terminal not registered")) == \
        "Timbratura rifiutata (terminal not registered)"


def test_last_stamps_view() -> None:
    reply = ReplyMessage("r1", "777", "", (("2026-03-02T08:03:00+01:00", "in", None),
                                           ("2026-03-02T12:00:00+01:00", "out", "29")))
    assert display.last_stamps(reply) == ["Ultime timbrature badge 777",
                                          "02/03 08:03 E", "02/03 12:00 U cod. 29"]
    assert display.last_stamps(ReplyMessage("r2", "9", "", ())) == [
        "Ultime timbrature badge 9", "Nessuna timbratura"]


def test_reader_feedback() -> None:
    assert display.reader_event(Pending("in", "35", False), {"35": "servizio"}) == \
        "Entrata cod. 35 servizio: strisciare il badge"
    assert display.reader_event(Pending(None, None, True)) == \
        "Ultime timbrature: strisciare il badge"
    assert display.reader_event(Invalid("x#", "Lettura non valida")) == "Lettura non valida"
    assert display.reader_event(Expired()) == display.CANCELLED
