"""The printed page of the office's PDFs (the reports, the monthly timecard).

A Unicode TrueType font shipped inside the package (DejaVu Sans, `fonts/LICENSE.txt`),
so "è", "€" and "–" print on any machine; each page carries the institution's name, the
title, the period and the month's closure status, and at its foot the print date and the
page number; a timecard ends with the signature lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from fpdf import FPDF
from sqlalchemy.orm import Session

from server.days.rules_in_force import policy_on
from server.db.models import Institution
from server.i18n.current import gettext
from server.i18n.formats import local_time, month_text
from server.office.month_status import month_status, status_text

FONTS = Path(__file__).resolve().parent / "fonts"
FAMILY = "DejaVuSans"
Align = Literal["L", "R"]


@dataclass(frozen=True)
class Letterhead:
    institution: str
    title: str
    period: str  # "aprile 2026"
    status: str  # the month's closure status, worded
    printed: str  # "06/12/2026 10:30", the institution's local time


def letterhead(session: Session, institution_id: str, title: str, year: int, month: int,
               now: datetime) -> Letterhead:
    """The heading of a month's file, in the current language and the institution's zone."""
    zone = policy_on(session, institution_id, date(year, month, 1)).timezone
    institution = session.get(Institution, institution_id)
    return Letterhead(
        institution.name if institution is not None else institution_id, title,
        month_text(year, month),
        status_text(month_status(session, institution_id, year, month), zone),
        local_time(now.astimezone(ZoneInfo(zone)), zone))


class Sheet(FPDF):
    """A landscape A4 page with the letterhead on every page."""

    def __init__(self, heading: Letterhead) -> None:
        super().__init__(orientation="L", format="A4")
        self.heading = heading
        self.add_font(FAMILY, "", FONTS / "DejaVuSans.ttf")
        self.add_font(FAMILY, "B", FONTS / "DejaVuSans-Bold.ttf")
        self.set_margins(10, 10, 10)
        self.set_auto_page_break(True, margin=14)
        self.set_title(f"{heading.title} – {heading.period}")
        self.set_author(heading.institution)
        self.add_page()

    def header(self) -> None:
        self.set_font(FAMILY, "B", 10)
        self.cell(0, 5, self.heading.institution, new_x="LMARGIN", new_y="NEXT")
        self.set_font(FAMILY, "B", 12)
        self.cell(0, 7, f"{self.heading.title} – {self.heading.period}",
                  new_x="LMARGIN", new_y="NEXT")
        self.set_font(FAMILY, "", 8)
        self.cell(0, 5, self.heading.status, new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font(FAMILY, "", 7)
        self.cell(0, 5, gettext("Printed on %(date)s", date=self.heading.printed))
        self.set_x(self.l_margin)
        self.cell(0, 5, gettext("Page %(page)s of %(pages)s", page=self.page_no(),
                                pages="{nb}"), align="R")

    def text_line(self, text: str, *, bold: bool = False, size: float = 8) -> None:
        self.set_font(FAMILY, "B" if bold else "", size)
        if self.get_string_width(text) < self.epw:  # one line: no line breaking to do
            self.cell(0, size * 0.55, text, new_x="LMARGIN", new_y="NEXT")
        else:
            self.multi_cell(0, size * 0.55, text, new_x="LMARGIN", new_y="NEXT")

    def grid(self, widths: Sequence[float], rows: Sequence[Sequence[str]],
             aligns: Sequence[Align], *, totals: bool = False, size: float = 7) -> None:
        """A ruled table: the first row the headings (again atop each new page), the last
        one in bold when it holds `totals`; a text wider than its column wraps at spaces.
        Drawn cell by cell: fpdf2's `table()` takes a second for a month of days."""
        heading, last = rows[0], len(rows) - 1
        for index, row in enumerate(rows):
            bold = index == 0 or (totals and index == last)
            self.set_font(FAMILY, "B" if bold else "", size)
            pieces = [self._wrapped(text, width) for text, width in zip(row, widths,
                                                                         strict=True)]
            height = size * 0.55 * max(len(p) for p in pieces)
            if index and self.will_page_break(height):
                self.add_page()
                self.grid(widths, [heading], aligns, size=size)
                self.set_font(FAMILY, "B" if bold else "", size)
            self._row(pieces, widths, aligns, size * 0.55, height)

    def _row(self, pieces: list[list[str]], widths: Sequence[float], aligns: Sequence[Align],
             line: float, height: float) -> None:
        x, y = self.l_margin, self.get_y()
        for lines, width, align in zip(pieces, widths, aligns, strict=True):
            self.rect(x, y, width, height)
            for number, text in enumerate(lines):
                self.set_xy(x, y + number * line)
                self.cell(width, line, text, align=align)
            x += width
        self.set_xy(self.l_margin, y + height)

    def _wrapped(self, text: str, width: float) -> list[str]:
        room = width - 2 * self.c_margin
        if self.get_string_width(text) <= room:
            return [text]
        lines = [""]
        for word in (piece for whole in text.split(" ") for piece in self._fitted(whole, room)):
            joined = f"{lines[-1]} {word}" if lines[-1] else word
            if lines[-1] and self.get_string_width(joined) > room:
                lines.append(word)
            else:
                lines[-1] = joined
        return lines

    def _fitted(self, word: str, room: float) -> list[str]:
        """A word wider than its column ("retribuzione" in a narrow one) cut where it
        must, a hyphen at each cut, rather than drawn over the next column."""
        pieces: list[str] = []
        while self.get_string_width(word) > room and len(word) > 1:
            cut = len(word) - 1
            while cut > 1 and self.get_string_width(word[:cut] + "-") > room:
                cut -= 1
            pieces.append(word[:cut] + "-")
            word = word[cut:]
        return [*pieces, word]

    def signatures(self) -> None:
        """Two signature boxes side by side, kept together on one page."""
        if self.will_page_break(22):
            self.add_page()
        self.ln(8)
        width = (self.epw - 20) / 2
        top = self.get_y()
        for index, label in enumerate((gettext("Employee's signature"),
                                       gettext("Manager's signature"))):
            left = self.l_margin + index * (width + 20)
            self.line(left, top + 12, left + width, top + 12)
            self.set_xy(left, top + 13)
            self.set_font(FAMILY, "", 8)
            self.cell(width, 5, label)
        self.set_xy(self.l_margin, top + 20)

    def bytes(self) -> bytes:
        return bytes(self.output())
