"""The text drawn on a PDF's pages, read back the way a viewer's "copy text" does.

fpdf2 writes text in a TrueType font as codes of the font's subset; each font carries a
ToUnicode map from those codes to characters, which is what this follows: the `Tf`
operator picks the font, each `Tj` string is decoded through its map. Enough for the
PDFs fpdf2 writes (no object streams, FlateDecode); the venv has no PDF reader.
"""

from __future__ import annotations

import re
import zlib

OBJECT = re.compile(rb"(\d+) 0 obj(.*?)endobj", re.S)
STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def objects(pdf: bytes) -> dict[int, tuple[bytes, bytes | None]]:
    """Object number → (its dictionary, its decompressed stream or None)."""
    found = {}
    for match in OBJECT.finditer(pdf):
        body = match.group(2)
        stream = STREAM.search(body)
        content = None
        if stream:
            data = stream.group(1)
            content = zlib.decompressobj().decompress(data) if b"/FlateDecode" in body \
                else data
        found[int(match.group(1))] = (body[:stream.start()] if stream else body, content)
    return found


def unicode_map(cmap: bytes) -> dict[int, str]:
    """A ToUnicode CMap's bfchar and bfrange entries."""
    out: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
        for code, text in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            out[int(code, 16)] = bytes.fromhex(text.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
        for low, high, start in re.findall(
                rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            first = int(start, 16)
            for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                out[code] = chr(first + offset)
    return out


def _literal(raw: bytes) -> bytes:
    out, index = bytearray(), 0
    while index < len(raw):
        byte = raw[index:index + 1]
        if byte == b"\\":
            following = raw[index + 1:index + 2]
            octal = re.match(rb"[0-7]{1,3}", raw[index + 1:index + 4])
            if octal:
                out.append(int(octal.group(), 8) & 0xFF)
                index += 1 + len(octal.group())
                continue
            out += ESCAPES.get(following, following)
            index += 2
            continue
        out += byte
        index += 1
    return bytes(out)


def pdf_text(pdf: bytes) -> str:
    """Each `Tj` string of every page, one a line, in drawing order."""
    table = objects(pdf)
    fonts: dict[bytes, dict[int, str] | None] = {}
    for body, _ in table.values():
        for name, number in re.findall(rb"/(F\d+) (\d+) 0 R", body):
            font = table.get(int(number), (b"", None))[0]
            to_unicode = re.search(rb"/ToUnicode (\d+) 0 R", font)
            cmap = table[int(to_unicode.group(1))][1] if to_unicode else None
            fonts[name] = unicode_map(cmap) if cmap else None
    lines: list[str] = []
    for body, content in table.values():
        if content is None or b"/Subtype" in body or b"/Length1" in body:
            continue
        current: dict[int, str] | None = None
        for font, string in re.findall(rb"/(F\d+) [\d.]+ Tf|\(((?:[^()\\]|\\.)*)\) ?Tj",
                                       content, re.S):
            if font:
                current = fonts.get(font)
                continue
            raw = _literal(string)
            if current is None:  # a core font: Latin-1 as it is
                lines.append(raw.decode("latin-1"))
            else:
                codes = [int.from_bytes(raw[i:i + 2], "big") for i in range(0, len(raw), 2)]
                lines.append("".join(current.get(code, "\ufffd") for code in codes))
    return "\n".join(lines)


def font_names(pdf: bytes) -> list[str]:
    """The /BaseFont of each font the PDF uses (a subset's name has a `ABCDEF+` prefix)."""
    return sorted({name.decode() for name in re.findall(rb"/BaseFont /([^\s/]+)", pdf)})
