"""Near-miss syntax: a statement that is almost one the language has, or one that belongs
in another block, is told so with the nearest construct, read from the grammar itself.

`due mon 9h` in a profile: "'due mon 9h' is not supported here", hint "did you mean
'due DURATION'?". `rounding nearest 5m` in a profile: "'rounding' is not supported in a
profile block", hint "it belongs in stamping { … }". The forms come from the compiled
grammar, so a statement another branch adds is proposed without a change here.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, replace
from functools import cache

from lark import Lark, Token
from lark.exceptions import UnexpectedInput

from dsl.errors import Diagnostic, M, did_you_mean

# The hint the parser gives a glued duration (`7h12`) is already the nearest construct.
_DURATION_HINT = "durations are written like"
_TOP = "item"
_MAX_DEPTH = 3


@dataclass(frozen=True)
class _Form:
    """A statement as the grammar has it: `due DURATION`, and its terminals."""

    text: str
    terminals: tuple[str, ...]


@cache
def _grammar(parser: Lark) -> tuple[dict[str, list[_Form]], dict[str, str], dict[str, str]]:
    """(statement forms per block rule, block rule per opening keyword, header per block rule).

    A block is a rule written `KEYWORD … "{" stmt* "}"`; `start: item*` is the top level."""
    expansions: dict[str, list[list[str]]] = {}
    for rule in parser.rules:
        expansions.setdefault(rule.origin.name, []).append([s.name for s in rule.expansion])

    def literal(name: str) -> str | None:
        try:
            pattern = parser.get_terminal(name).pattern
        except KeyError:
            return None
        return str(pattern.value) if pattern.type == "str" else None

    def render(symbols: list[str], depth: int) -> list[tuple[str, str]]:
        """(word, terminal) pairs; a rule inside is shown by its shortest alternative."""
        pairs: list[tuple[str, str]] = []
        for name in symbols:
            if name == "LBRACE":
                pairs.append(("{ … }", name))
                break
            if name.isupper() or name.startswith("__ANON") or name == "$END":
                pairs.append((literal(name) or name, name))
            elif not name.startswith("__") and depth < _MAX_DEPTH:
                pairs += render(min(expansions.get(name, [[]]), key=len), depth + 1)
        return pairs

    def form(symbols: list[str]) -> _Form:
        pairs = render(symbols, 0)
        return _Form(" ".join(w for w, _ in pairs), tuple(t for _, t in pairs))

    forms: dict[str, list[_Form]] = {}
    keyword_block: dict[str, str] = {}
    headers: dict[str, str] = {}
    for alternatives in expansions.values():
        for symbols in alternatives:
            if "LBRACE" not in symbols or symbols.index("LBRACE") + 1 >= len(symbols):
                continue
            star = symbols[symbols.index("LBRACE") + 1]
            inner = [s for alt in expansions.get(star, []) for s in alt if not s.startswith("__")]
            keyword = literal(symbols[0])
            if star.startswith("__") and inner and keyword:
                keyword_block[keyword] = inner[0]
                headers[inner[0]] = form(min(alternatives, key=len)).text
    keyword_block.setdefault("", _TOP)
    for block in {*keyword_block.values()}:
        unique = {f.text: f for f in (form(alt) for alt in _statements(expansions, block))}
        forms[block] = [unique[text] for text in sorted(unique)]
    return forms, keyword_block, headers


def _statements(expansions: dict[str, list[list[str]]], rule: str,
                depth: int = 0) -> list[list[str]]:
    """A block's statement alternatives, with a group of statements (`day_stmt`, that
    several blocks share) opened into its own alternatives."""
    found: list[list[str]] = []
    for alt in expansions.get(rule, []):
        inner = alt[0] if len(alt) == 1 else ""
        if (inner.islower() and not inner.startswith("__") and depth < _MAX_DEPTH
                and not any("LBRACE" in a for a in expansions.get(inner, []))):
            found += _statements(expansions, inner, depth + 1)
        else:
            found.append(alt)
    return found


def near_miss(parser: Lark, text: str, token: Token, diagnostic: Diagnostic) -> Diagnostic:
    """The diagnostic of an unexpected token, said as a near miss where it is one."""
    if diagnostic.hint and diagnostic.hint.startswith(_DURATION_HINT):
        return diagnostic
    forms, keyword_block, headers = _grammar(parser)
    where = token.start_pos or 0
    block = keyword_block.get(open_block(text, where)[0], _TOP)
    glued = _glued_word(text, where)
    if glued is not None:
        # `dues 7h`: the lexer took the keyword `due` and left `s`; name the word written.
        keywords = {f.text.split()[0] for f in forms.get(block, [])}
        hint = did_you_mean(glued, keywords) or diagnostic.hint
        return replace(diagnostic, column=diagnostic.column - (len(glued) - len(str(token))),
                       message=M("unexpected word '{}'", glued), hint=hint)
    statement, starts_here = _statement(text, where)
    if not statement:
        return diagnostic
    first = statement.split()[0]
    same = [f for f in forms.get(block, []) if f.text.split()[0] == first]
    if same and not starts_here:
        shape = _shape(parser, statement)
        best = max(same, key=lambda f: _likeness(shape, f)).text
        hint = _did_you_mean(best, diagnostic.hint)
        return replace(diagnostic, message=M("'{}' is not supported here", statement), hint=hint)
    homes = [headers[b] for b, found in forms.items()
             if b != block and b in headers and any(f.text.split()[0] == first for f in found)]
    if starts_here and homes and not same:
        place = M("a {} block", _block_name(block)) if block in headers else M("the top level")
        return replace(diagnostic, message=M("'{}' is not supported in {}", first, place),
                       hint=M("it belongs in {}", " or ".join(sorted(homes))))
    return diagnostic


def _glued_word(text: str, where: int) -> str | None:
    """The whole word when the token at `where` is the tail of it, else None."""
    if where == 0 or not (text[where - 1].isalnum() or text[where - 1] == "_"):
        return None
    start = where
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
        start -= 1
    found = re.match(r"\w+", text[start:])
    return found.group() if found and not found.group()[0].isdigit() else None


def _shape(parser: Lark, statement: str) -> tuple[str, ...] | list[str]:
    """The terminals of a statement (`due mon 9h`: DUE CODE DURATION), or its words when
    it cannot even be lexed."""
    try:
        return tuple(t.type for t in parser.lex(statement))
    except UnexpectedInput:
        return statement.split()


def _likeness(shape: tuple[str, ...] | list[str], form: _Form) -> float:
    """How close a statement is to a form: by terminals, or by words if it did not lex."""
    other = form.terminals if isinstance(shape, tuple) else form.text.split()
    return difflib.SequenceMatcher(None, list(shape), list(other)).ratio()


def _block_name(block: str) -> str:
    return block.removesuffix("_stmt").replace("_", " ")


def unfinished(parser: Lark, text: str, line: int, diagnostic: Diagnostic) -> Diagnostic:
    """The diagnostic of a statement that its line leaves unfinished (`due` alone): the
    caret goes where the missing part belongs, the hint gives the statement's form."""
    source = text.splitlines()[line - 1] if 0 < line <= len(text.splitlines()) else ""
    where = sum(len(x) for x in text.splitlines(keepends=True)[: line - 1])
    statement, _ = _statement(text, where + len(source) - len(source.lstrip()))
    if not statement:
        return diagnostic
    forms, keyword_block, _ = _grammar(parser)
    block = keyword_block.get(open_block(text, where)[0], _TOP)
    same = [f for f in forms.get(block, []) if f.text.split()[0] == statement.split()[0]]
    hint = diagnostic.hint
    if same:
        shape = _shape(parser, statement)
        hint = _did_you_mean(max(same, key=lambda f: _likeness(shape, f)).text, diagnostic.hint)
    end = source.index(statement) + len(statement) + 1
    return replace(diagnostic, line=line, column=end, source_line=source,
                   message=M("'{}' is unfinished", statement), hint=hint)


def missing_brace(text: str, token: Token, diagnostic: Diagnostic) -> Diagnostic:
    """The diagnostic of a token that fits once the block before it is closed."""
    _, line, head = open_block(text, token.start_pos or 0)
    return replace(diagnostic, message=M("'}}' missing before '{}'", token),
                   hint=M("the block opened at line {} ({} {{) is not closed", line, head))


def _did_you_mean(form: str, hint: str | None) -> M:
    """The form meant, and the parser's hint after it unless it is a long list that only
    blurs it."""
    if hint and "one of" not in hint:
        return M("did you mean '{}'? {}", form, hint)
    return M("did you mean '{}'?", form)


def open_block(text: str, where: int) -> tuple[str, int, str]:
    """The innermost block open at `where`: its keyword ("" at the top level), line, head."""
    heads: list[tuple[str, int, str]] = []
    segment_start = 0
    for found in re.finditer(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*|[{}\n]', text[:where]):
        mark = found.group()
        if mark == "{":
            head = text[segment_start : found.start()].strip()
            line = text.count("\n", 0, found.start()) + 1
            heads.append((head.split()[0] if head else "", line, head))
        elif mark == "}" and heads:
            heads.pop()
        if mark in "{}\n":
            segment_start = found.end()
    return heads[-1] if heads else ("", 0, "")


def _statement(text: str, where: int) -> tuple[str, bool]:
    """The statement around `where`, on its line and within its braces; and whether the
    token at `where` is its first word."""
    line_start = text.rfind("\n", 0, where) + 1
    line_end = text.find("\n", where)
    line = text[line_start : line_end if line_end >= 0 else len(text)]
    offset = where - line_start
    start = max(line.rfind("{", 0, offset), line.rfind("}", 0, offset)) + 1
    stop = re.search(r"[{}#]", line[offset:])
    end = offset + stop.start() if stop else len(line)
    statement = line[start:end].strip()
    return statement, line[start:offset].strip() == ""
