"""Text -> typed syntax tree, with every error turned into a `RuleError`."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from pathlib import Path

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from dsl.ast import Comment, RuleFile, StampLit
from dsl.errors import Diagnostic, M, RuleError, did_you_mean, source_line
from dsl.recovery import recover
from dsl.sources import HINT as SOURCE_HINT
from dsl.sources import read_sources
from dsl.transformer import ToAst

# Terminal names a person would not recognise, in words.
_TERMINAL_WORDS = {
    "DURATION": M("a duration like 7h12m, 30m or 2h"),
    "CLOCK": M("a time of day like 08:30"),
    "DATE": M("a date like 2026-03-02"),
    "STRING": M('a quoted text like "Commissioni"'),
    "NAME": M("a name"),
    "CODE": M("a code like 29, 37a or PERL"),
    "INT": M("a whole number"),
    "MONEY": M("an amount like 5.00"),
    "PERCENT": M("a percentage like 50%"),
    "DIRECTION": M("a direction like in or out"),
    "BOOL": M("an answer like yes or no"),
    "LBRACE": "'{'",
    "RBRACE": "'}'",
}
# What an unexpected token is called: the words above without their example.
_TERMINAL_NAMES = {
    "DURATION": M("a duration"), "CLOCK": M("a time of day"), "DATE": M("a date"),
    "STRING": M("a quoted text"), "NAME": M("a name"), "CODE": M("a code"),
    "INT": M("a whole number"), "MONEY": M("an amount"), "PERCENT": M("a percentage"),
    "DIRECTION": M("a direction"), "BOOL": M("an answer"), "LBRACE": "'{'", "RBRACE": "'}'",
}


_GLUED_DURATION = re.compile(r"\d+[hm]$|\d+\.$")


@cache
def _parser() -> Lark:
    grammar = resources.files("dsl").joinpath("grammar.lark").read_text(encoding="utf-8")
    return Lark(
        grammar,
        parser="lalr",
        lexer="contextual",
        start=["start", "stamp_list"],
        propagate_positions=True,
    )


def parse_file(path: str | Path) -> RuleFile:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError([Diagnostic(str(p), 1, 1, M("cannot read rule file: {}", exc))]) from None
    return parse(text, str(p))


def parse(text: str, file: str = "<rules>") -> RuleFile:
    """Parse a whole rule file. Raises `RuleError` listing what is wrong."""
    rule_file, problems = parse_partial(text, file)
    if problems or rule_file is None:
        raise RuleError(problems)
    return rule_file


def parse_partial(text: str, file: str = "<rules>") -> tuple[RuleFile | None, list[Diagnostic]]:
    """Every syntax problem of a file, and the file as far as it could be read.

    The file is None only when no tree could be built (see `dsl.recovery`)."""
    tree, problems = recover(_parser(), text, "start", lambda exc: _diagnostic(exc, text, file))
    if tree is None:
        return None, problems
    builder = ToAst(file, text)
    rule_file = builder.rule_file(tree)
    sources, unsourced = read_sources(text, file)
    found = sorted([*problems, *builder.diagnostics, *unsourced],
                   key=lambda d: (d.line, d.column))
    return RuleFile(
        path=rule_file.path,
        source=text,
        institution=rule_file.institution,
        sections=rule_file.sections,
        examples=rule_file.examples,
        comments=_comments(text),
        sources=sources,
    ), found


def parse_stamps(text: str, file: str = "<stamps>") -> tuple[StampLit, ...]:
    """Parse `in 08:03, out 12:00 code 35`, the form the command line takes."""
    tree = _lark_parse(text, file, "stamp_list")
    builder = ToAst(file, text)
    stamps = builder.stamp_list(tree)
    if builder.diagnostics:
        raise RuleError(builder.diagnostics)
    return stamps


def _lark_parse(text: str, file: str, start: str) -> Tree[Token]:
    try:
        return _parser().parse(text, start=start)
    except UnexpectedInput as exc:
        raise RuleError([_diagnostic(exc, text, file)]) from None


def _diagnostic(exc: UnexpectedInput, text: str, file: str) -> Diagnostic:
    message: str
    line = getattr(exc, "line", 1) or 1
    column = getattr(exc, "column", 1) or 1
    if isinstance(exc, UnexpectedCharacters):
        where = exc.pos_in_stream or 0
        char = text[where] if where < len(text) else ""
        message = M("unexpected character {!r}", char)
        hint = _expected_hint(exc.allowed)
    elif isinstance(exc, UnexpectedEOF):
        lines = text.splitlines() or [""]
        line, column = len(lines), len(lines[-1]) + 1
        message = M("unexpected end of file")
        hint = _unclosed_hint(text) or _expected_hint(set(exc.expected))
    elif isinstance(exc, UnexpectedToken):
        token = exc.token
        if token.type == "$END":
            lines = text.splitlines() or [""]
            line, column = len(lines), len(lines[-1]) + 1
            message = M("unexpected end of file")
            hint = _unclosed_hint(text) or _expected_hint(set(exc.accepts or exc.expected))
        else:
            message = M("unexpected {}", _describe(token))
            hint = _token_hint(token, text, set(exc.accepts or exc.expected))
    else:  # pragma: no cover - lark raises only the three above
        message, hint = str(exc), None
    return Diagnostic(file, line, column, message, source_line(text, line), hint)


def _token_hint(token: Token, text: str, expected: set[str]) -> str | None:
    start = token.start_pos or 0
    if _GLUED_DURATION.search(text[max(0, start - 8) : start]):
        return M("durations are written like 7h12m, 30m or 2h")
    keywords = {_keyword(name) for name in expected} - {None}
    if str(token) == "source":  # the SOURCE terminal did not match: no quoted place follows
        return SOURCE_HINT
    if token.type in {"NAME", "CODE"}:
        close = did_you_mean(str(token), [k for k in keywords if k])
        if close:
            return close
    return _expected_hint(expected)


def _keyword(terminal: str) -> str | None:
    """The literal text of a keyword or punctuation terminal, else None.

    Lark names keywords that clash with a rule name `__ANON_n` (`name`, `code`,
    `date`, `direction`, `..`), so those are looked up like the others.
    """
    if terminal in _TERMINAL_WORDS or terminal.startswith("$"):
        return None
    try:
        pattern = _parser().get_terminal(terminal).pattern
    except KeyError:
        return None
    return pattern.value if pattern.type == "str" else None


def _describe(token: Token) -> str:
    if token.type in {"NAME", "CODE"}:
        return M("word '{}'", token)
    if token.type.isupper() and not token.type.startswith("__") and token.type in _TERMINAL_WORDS:
        return M("{} '{}'", _TERMINAL_NAMES[token.type], token)
    return f"'{token}'"


def _expected_hint(expected: set[str] | frozenset[str] | None) -> str | None:
    if not expected:
        return None
    words: list[str] = []
    for name in expected:
        if name in _TERMINAL_WORDS:
            words.append(_TERMINAL_WORDS[name])
        elif (keyword := _keyword(name)) is not None:
            words.append(f"'{keyword}'")
    if not words:
        return None
    words.sort()
    if len(words) == 1:
        return M("expected {}", words[0])
    if len(words) == 2:
        return M("expected {} or {}", *words)
    if len(words) > 12:
        return M("expected one of: {}, …", _listed(words[:12]))
    return M("expected one of: {}", _listed(words))


def _listed(words: list[str]) -> M:
    """Words separated by commas, each still translatable (`M` or a keyword)."""
    template = ", ".join("{}" for _ in words)  # no message id of its own: nothing to say
    return M(template, *words)


def _unclosed_hint(text: str) -> str | None:
    """Name the innermost block that the end of the file left open."""
    opened: list[int] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        code = _without_strings(raw[: _comment_start(raw)])
        for ch in code:
            if ch == "{":
                opened.append(number)
            elif ch == "}" and opened:
                opened.pop()
    if not opened:
        return None
    head = source_line(text, opened[-1]).strip()
    if len(head) > 40:
        head = head[:39] + "…"
    return M("the block opened at line {} ({}) is not closed with '}}'", opened[-1], head)


def _without_strings(line: str) -> str:
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', line)


def _comments(text: str) -> tuple[Comment, ...]:
    """Comments are not in the tree; the formatter puts them back by line."""
    found: list[Comment] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        index = _comment_start(raw)
        if index is not None:
            found.append(Comment(number, raw[index:].rstrip(), raw[:index].strip() == ""))
    return tuple(found)


def _comment_start(line: str) -> int | None:
    in_string = False
    escaped = False
    for i, ch in enumerate(line):
        if escaped:
            escaped = False
        elif ch == "\\" and in_string:
            escaped = True
        elif ch == '"':
            in_string = not in_string
        elif ch == "#" and not in_string:
            return i
    return None
