"""The office's CSV files as Italian Excel saves them, read one way for every import
(employees, opening balances, the rota).

`;` between fields (`,` too), UTF-8 with or without a BOM, else Windows-1252 (Excel's "CSV
(delimitato dal separatore di elenco)"); headings compared without case, accents, `-` or
`_`. A problem is a sentence with its line number, in Italian and English; an import that
finds any refuses the whole file (`ImportRefused`), so nothing is half written.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from server.errors import OfficeError
from server.i18n.current import either, gettext


@dataclass(frozen=True)
class LineError:
    line: int
    italian: str
    english: str

    def __str__(self) -> str:
        """The line and its problem in the reader's language (the API's refusal lists them)."""
        return gettext("line %(line)s: %(problem)s", line=self.line,
                       problem=either(self.italian, self.english))


class ImportRefused(OfficeError):
    """The file has problems; nothing was written."""

    def __init__(self, errors: list[LineError], italian: str = "nessun dipendente inserito",
                 english: str = "no employee written") -> None:
        self.errors = errors
        super().__init__(f"Importazione annullata, {italian}: {len(errors)} errori",
                         f"Import refused, {english}: {len(errors)} errors")


def csv_text(data: bytes | str) -> str:
    """UTF-8 (a BOM dropped), else Windows-1252: what Excel saves as CSV in Italy."""
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def csv_lines(data: bytes | str) -> list[list[str]]:
    """The file's lines split into fields, `;` or `,` as the first line uses."""
    text = csv_text(data)
    if "\x00" in text:  # a binary file (a spreadsheet not saved as CSV); no database keeps it
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise ImportRefused([LineError(line, "il file contiene caratteri nulli: non è un CSV "
                                             "di testo (salvarlo come CSV da Excel).",
                                       "the file holds NUL characters: not a text CSV "
                                       "(save it as CSV from Excel).")])
    first = text.split("\n", 1)[0]
    try:
        return list(csv.reader(io.StringIO(text), delimiter=";" if ";" in first else ","))
    except csv.Error:  # a field over csv's limit (128 KB), or a lone carriage return in one
        raise ImportRefused([LineError(1, "il file non si legge come CSV: un campo supera "
                                          "128 KB o va a capo fuori dalle virgolette.",
                                       "the file does not read as CSV: a field is over "
                                       "128 KB or breaks a line outside quotes.")]) from None


def heading(text: str) -> str:
    """A heading as compared: lower case, no accents, spaces for `-` and `_`."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(plain.lower().replace("_", " ").replace("-", " ").split())


def data_rows(lines: list[list[str]], columns: list[str],
              ) -> Iterator[tuple[int, dict[str, str] | LineError]]:
    """Each line after the header with a value: its values by column, stripped, or what is
    wrong with its shape (`line_shape`); lines numbered as the spreadsheet shows them."""
    for line, cells in enumerate(lines[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue  # Excel leaves empty lines of separators at the end
        shape = line_shape(line, cells, columns)
        yield line, shape if shape is not None else {
            c: v.strip() for c, v in zip(columns, cells, strict=False) if c}


def line_shape(line: int, cells: list[str], columns: list[str]) -> LineError | None:
    """A value beyond the headings, or under an empty one: a separator too many."""
    if len(cells) > len(columns) and any(c.strip() for c in cells[len(columns):]):
        return LineError(line, f"la riga ha {len(cells)} campi, l'intestazione "
                               f"{len(columns)}: un separatore di troppo?",
                         f"the line has {len(cells)} fields, the header {len(columns)}: "
                         "one separator too many?")
    if any(cell.strip() for cell, column in zip(cells, columns, strict=False) if not column):
        return LineError(line, "la riga ha un valore in una colonna senza intestazione: un "
                               "separatore di troppo?",
                         "the line has a value in a column without heading: one separator "
                         "too many?")
    return None
