"""The language server, spoken to over stdio as an editor does: the real `timbra-lsp`
process, driven by pygls's own client."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient

BIN = Path(sys.executable).parent
TEXT = """\
institution demo {
    name "Demo"
    timezone "Europe/Rome"
    holidays IT "MI"
}

rules from 2024-01-01 {
    profile full_time {
        weekly 36h
        days lun..ven
        due 7h12m
    }

    # Art. 7 c. 2: "Il dipendente può fruire di permessi per esigenze personali
    # nel limite di 36 ore annue."
    code "29" {
        label "Permesso personale"
        kind hourly_absence
        allowance personal
    }

    allowance personal {
        amount 36h per year
    }
}

example "permesso" {
    profile full_time
    date 2024-03-04
    stamps in 08:00, out 12:00 code 29, in 13:00, out 16:12
    expect worked 7h12m
}
"""
BROKEN = TEXT.replace("due 7h12m", "due 7h12").replace("kind hourly_absence", "kynd x")

Session = Callable[[LanguageClient, "asyncio.Queue[types.PublishDiagnosticsParams]"],
                   Awaitable[None]]


def speak(path: Path, session: Session) -> None:
    """Start the server, initialise, run `session`, shut down; the server must exit 0."""

    async def run() -> None:
        client = LanguageClient("timbra-test", "1")
        published: asyncio.Queue[types.PublishDiagnosticsParams] = asyncio.Queue()

        @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
            published.put_nowait(params)

        await client.start_io(str(BIN / "timbra-lsp"))
        await asyncio.wait_for(client.initialize_async(types.InitializeParams(
            capabilities=types.ClientCapabilities(), root_uri=path.parent.as_uri())), 30)
        client.initialized(types.InitializedParams())
        await session(client, published)
        await asyncio.wait_for(client.shutdown_async(None), 30)
        client.exit(None)
        await asyncio.wait_for(client.stop(), 30)

    asyncio.run(run())


def open_file(client: LanguageClient, path: Path, text: str) -> None:
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(path.as_uri(), "timbra", 1, text)))


def line_of(text: str, fragment: str) -> int:
    """0-based, as the protocol counts."""
    return next(i for i, line in enumerate(text.splitlines()) if fragment in line)


def at(text: str, fragment: str, offset: int = 0) -> types.Position:
    number = line_of(text, fragment)
    return types.Position(number, text.splitlines()[number].index(fragment) + offset)


def test_diagnostics_on_open_and_change_are_those_of_rules_check(tmp_path: Path) -> None:
    path = tmp_path / "demo.rules"
    path.write_text(BROKEN, encoding="utf-8")
    cli = subprocess.run([str(BIN / "timbra"), "rules", "check", "--format", "json", str(path)],
                         capture_output=True, text=True, check=False, timeout=60)
    expected = json.loads(cli.stdout)
    assert len(expected) == 3  # weekly (read as due 7h), the 12, kynd
    seen: dict[str, Any] = {}

    async def session(client: LanguageClient,
                      published: asyncio.Queue[types.PublishDiagnosticsParams]) -> None:
        open_file(client, path, BROKEN)
        seen["open"] = await asyncio.wait_for(published.get(), 30)
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(version=2, uri=path.as_uri()),
            [types.TextDocumentContentChangeWholeDocument(TEXT)]))
        seen["change"] = await asyncio.wait_for(published.get(), 30)

    speak(path, session)
    opened: types.PublishDiagnosticsParams = seen["open"]
    assert opened.uri == path.as_uri()
    got = [(d.range.start.line + 1, d.range.start.character + 1, d.range.end.character + 1,
            d.message.split("\nhint: ")[0]) for d in opened.diagnostics]
    assert got == [(e["line"], e["col"], e["end"]["col"], e["message"]) for e in expected]
    assert all(d.severity == types.DiagnosticSeverity.Error for d in opened.diagnostics)
    assert "hint: did you mean 'kind'?" in opened.diagnostics[2].message
    assert list(seen["change"].diagnostics) == []


def test_hover_shows_the_manual_and_the_quoted_regulation(tmp_path: Path) -> None:
    path = tmp_path / "demo.rules"
    answers: dict[str, types.Hover | None] = {}

    async def session(client: LanguageClient,
                      published: asyncio.Queue[types.PublishDiagnosticsParams]) -> None:
        open_file(client, path, TEXT)
        await asyncio.wait_for(published.get(), 30)
        for name, position in [("due", at(TEXT, "due 7h12m", 1)),
                               ("kind", at(TEXT, "kind hourly_absence", 2)),
                               ("code", at(TEXT, "out 12:00 code 29", 15)),
                               ("nothing", types.Position(5, 0))]:
            answers[name] = await asyncio.wait_for(client.text_document_hover_async(
                types.HoverParams(types.TextDocumentIdentifier(path.as_uri()), position)), 30)

    speak(path, session)
    due = answers["due"]
    assert due is not None and isinstance(due.contents, types.MarkupContent)
    assert "`due 7h12m`: The minutes due on a working day." in due.contents.value
    kind = answers["kind"]
    assert kind is not None and isinstance(kind.contents, types.MarkupContent)
    assert "`kind K`: How minutes under the code count." in kind.contents.value
    # Inside the code block: the regulation quoted above the block's head.
    assert '> Art. 7 c. 2: "Il dipendente può fruire di permessi' in kind.contents.value
    code = answers["code"]
    assert code is not None and isinstance(code.contents, types.MarkupContent)
    assert "**code 29** — Permesso personale (hourly_absence)" in code.contents.value
    assert "> nel limite di 36 ore annue.\"" in code.contents.value
    assert answers["nothing"] is None


def test_go_to_definition_of_codes_allowances_and_profiles(tmp_path: Path) -> None:
    path = tmp_path / "demo.rules"
    answers: dict[str, Any] = {}

    async def session(client: LanguageClient,
                      published: asyncio.Queue[types.PublishDiagnosticsParams]) -> None:
        open_file(client, path, TEXT)
        await asyncio.wait_for(published.get(), 30)
        for name, position in [("code", at(TEXT, "out 12:00 code 29", 16)),
                               ("allowance", at(TEXT, "allowance personal\n".strip(), 12)),
                               ("profile", at(TEXT, "    profile full_time\n".rstrip(), 14)),
                               ("date", at(TEXT, "date 2024-03-04", 1))]:
            answers[name] = await asyncio.wait_for(client.text_document_definition_async(
                types.DefinitionParams(types.TextDocumentIdentifier(path.as_uri()), position)),
                30)

    speak(path, session)

    def place(found: Any) -> list[tuple[int, int, int]]:
        assert isinstance(found, list)
        return [(loc.range.start.line, loc.range.start.character, loc.range.end.character)
                for loc in found]

    code_line = line_of(TEXT, 'code "29" {')
    assert place(answers["code"]) == [(code_line, 9, 13)]  # "29" with its quotes
    allowance_line = line_of(TEXT, "allowance personal {")
    assert place(answers["allowance"]) == [(allowance_line, 14, 22)]
    profile_line = line_of(TEXT, "profile full_time {")
    assert place(answers["profile"]) == [(profile_line, 12, 21)]
    assert answers["date"] == []
