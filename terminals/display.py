"""What the terminal's display says. Italian first: it is read by the people who swipe.

Pure formatting: every function returns text and touches nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from terminals.protocol import AckItem, Direction, ReplyMessage
from terminals.reader import Event, Expired, Invalid, LastStampsRequest, Pending, Swipe

UNKNOWN_BADGE = "Badge sconosciuto"
SWIPE_NOW = "Strisciare il badge"
CANCELLED = "Operazione annullata"
ONLINE = "In linea"
QUERY_OFFLINE = "Consultazione non disponibile senza rete"
QUERY_SENT = "Ricerca delle ultime timbrature…"


def direction_letter(direction: str | None) -> str:
    """E for entrata, U for uscita, nothing when the server decides."""
    return {"in": "E", "out": "U"}.get(direction or "", "")


def _code_text(code: str | None, labels: Mapping[str, str]) -> str:
    if code is None:
        return ""
    label = labels.get(code)
    return f"cod. {code} {label}" if label else f"cod. {code}"


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def stamp_recorded(time: datetime, direction: Direction | None, code: str | None = None,
                   labels: Mapping[str, str] | None = None) -> str:
    """Shown as soon as the stamp is safe in the queue: "Timbratura registrata 08:03 E"."""
    return _join("Timbratura registrata", time.strftime("%H:%M"), direction_letter(direction),
                 _code_text(code, labels or {}))


def waiting_for_network(queued: int) -> str:
    return f"In attesa di rete ({queued} in coda)"


def connection(connected: bool, queued: int) -> str:
    """The idle line: online, or how many stamps wait for the network."""
    if connected and queued == 0:
        return ONLINE
    return waiting_for_network(queued) if not connected else f"{ONLINE} ({queued} in invio)"


def pending(event: Pending, labels: Mapping[str, str] | None = None) -> str:
    """After a key: what was chosen so far, and the invitation to swipe."""
    if event.query:
        return "Ultime timbrature: strisciare il badge"
    chosen = _join({"in": "Entrata", "out": "Uscita"}.get(event.direction or "", ""),
                   _code_text(event.code, labels or {}))
    return f"{chosen}: strisciare il badge" if chosen else "Codice: digitare il numero"


def ack(item: AckItem) -> str | None:
    """What to show when the server answers; None when nothing new is worth showing.

    A stored stamp was already announced when it reached the queue, so only
    refusals and conflicts reach the display. The server's own text comes first.
    """
    if item.status in ("stored", "duplicate"):
        return None
    if item.display:
        return item.display
    if item.status == "conflict":
        return "Timbratura in conflitto: rivolgersi all'ufficio personale"
    return _join("Timbratura rifiutata", f"({item.reason})" if item.reason else "")


def _stamp_time(text: str) -> str:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    return moment.strftime("%d/%m %H:%M")


def last_stamps(reply: ReplyMessage, labels: Mapping[str, str] | None = None) -> list[str]:
    """Seed 001's F5 view: a title line, then one line per stamp."""
    lines = [reply.display or f"Ultime timbrature badge {reply.badge}"]
    if not reply.stamps:
        lines.append("Nessuna timbratura")
    for time, direction, code in reply.stamps:
        lines.append(_join(_stamp_time(time), direction_letter(direction),
                           _code_text(code, labels or {})))
    return lines


def reader_event(event: Event, labels: Mapping[str, str] | None = None) -> str | None:
    """The line for a reader event that needs no network; None for a swipe or query.

    Swipes and last-stamp requests are shown once the queue or the server answers.
    """
    if isinstance(event, Pending):
        return pending(event, labels)
    if isinstance(event, Invalid):
        return event.reason
    if isinstance(event, Expired):
        return CANCELLED
    assert isinstance(event, Swipe | LastStampsRequest)
    return None
