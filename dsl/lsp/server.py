"""The protocol side of the language server: pygls over stdio, mapping `dsl.lsp.index`
answers and `dsl.diagnose` diagnostics to LSP types (0-based lines and characters)."""

from __future__ import annotations

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from dsl.ast import RuleFile
from dsl.diagnose import diagnose, end_column
from dsl.errors import Diagnostic
from dsl.lsp import index
from dsl.parser import parse_partial

VERSION = "0.1.0"
server = LanguageServer("timbra-lsp", VERSION)


def _path(uri: str) -> str:
    return to_fs_path(uri) or uri


def to_lsp(diagnostic: Diagnostic) -> types.Diagnostic:
    line = max(diagnostic.line - 1, 0)
    start = max(diagnostic.column - 1, 0)
    message = diagnostic.message + (f"\nhint: {diagnostic.hint}" if diagnostic.hint else "")
    return types.Diagnostic(
        range=types.Range(types.Position(line, start),
                          types.Position(line, max(end_column(diagnostic) - 1, start))),
        message=message,
        severity=types.DiagnosticSeverity.Error,
        source="timbra",
    )


def publish(ls: LanguageServer, uri: str) -> None:
    document = ls.workspace.get_text_document(uri)
    found = diagnose(document.source, _path(uri))
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
        uri=uri, version=document.version, diagnostics=[to_lsp(d) for d in found]))


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: LanguageServer, params: types.DidOpenTextDocumentParams) -> None:
    publish(ls, params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: LanguageServer, params: types.DidChangeTextDocumentParams) -> None:
    publish(ls, params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: LanguageServer, params: types.DidSaveTextDocumentParams) -> None:
    publish(ls, params.text_document.uri)


def _read(ls: LanguageServer, uri: str) -> tuple[str, RuleFile | None]:
    text = ls.workspace.get_text_document(uri).source
    return text, parse_partial(text, _path(uri))[0]


@server.feature(types.TEXT_DOCUMENT_HOVER)
def hover(ls: LanguageServer, params: types.HoverParams) -> types.Hover | None:
    text, rule_file = _read(ls, params.text_document.uri)
    line, column = params.position.line + 1, params.position.character + 1
    said = index.hover(rule_file, text, line, column)
    if said is None:
        return None
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=said))


@server.feature(types.TEXT_DOCUMENT_DEFINITION)
def definition(ls: LanguageServer, params: types.DefinitionParams) -> list[types.Location]:
    uri = params.text_document.uri
    text, rule_file = _read(ls, uri)
    word = index.word_at(text, params.position.line + 1, params.position.character + 1)
    target = index.reference(word) if word is not None else None
    if rule_file is None or target is None:
        return []
    return [
        types.Location(uri, types.Range(types.Position(s.line - 1, s.column - 1),
                                        types.Position(s.line - 1, s.end_column - 1)))
        for s in index.definitions(rule_file, *target)
    ]


def main() -> None:
    """`timbra-lsp`: serve one editor over stdin and stdout."""
    server.start_io()
