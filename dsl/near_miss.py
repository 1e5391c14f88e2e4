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
from dataclasses import replace
from functools import cache

from lark import Lark, Token

from dsl.errors import Diagnostic, did_you_mean

# The hint the parser gives a glued duration (`7h12`) is already the nearest construct.
_DURATION_HINT = "durations are written like"
_TOP = "item"
_MAX_DEPTH = 3


@cache
def _grammar(parser: Lark) -> tuple[dict[str, list[str]], dict[str, str], dict[str, str]]:
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

    def render(symbols: list[str], depth: int) -> str:
        words: list[str] = []
        for name in symbols:
            if name == "LBRACE":
                words.append("{ … }")
                break
            if name.isupper() or name.startswith("__ANON") or name == "$END":
                words.append(literal(name) or name)
            elif not name.startswith("__") and depth < _MAX_DEPTH:
                shortest = min(expansions.get(name, [[]]), key=len)
                words.append(render(shortest, depth + 1))
        return " ".join(w for w in words if w)

    forms: dict[str, list[str]] = {}
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
                headers[inner[0]] = render(min(alternatives, key=len), 0)
    keyword_block.setdefault("", _TOP)
    for block in {*keyword_block.values()}:
        forms[block] = sorted({render(alt, 0) for alt in expansions.get(block, [])})
    return forms, keyword_block, headers


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
        keywords = {f.split()[0] for f in forms.get(block, [])}
        hint = did_you_mean(glued, keywords) or diagnostic.hint
        return replace(diagnostic, column=diagnostic.column - (len(glued) - len(str(token))),
                       message=f"unexpected word '{glued}'", hint=hint)
    statement, starts_here = _statement(text, where)
    if not statement:
        return diagnostic
    first = statement.split()[0]
    same = [f for f in forms.get(block, []) if f.split()[0] == first]
    if same and not starts_here:
        best = max(same, key=lambda f: _likeness(statement, f))
        hint = f"did you mean '{best}'?"
        if diagnostic.hint:
            hint += f" {diagnostic.hint}"
        return replace(diagnostic, message=f"'{statement}' is not supported here", hint=hint)
    homes = [headers[b] for b, found in forms.items()
             if b != block and b in headers and any(f.split()[0] == first for f in found)]
    if starts_here and homes and not same:
        place = f"a {_block_name(block)} block" if block in headers else "the top level"
        return replace(diagnostic, message=f"'{first}' is not supported in {place}",
                       hint="it belongs in " + " or ".join(sorted(homes)))
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


def _likeness(statement: str, form: str) -> float:
    return difflib.SequenceMatcher(None, statement.split(), form.split()).ratio()


def _block_name(block: str) -> str:
    return block.removesuffix("_stmt").replace("_", " ")


def missing_brace(text: str, token: Token, diagnostic: Diagnostic) -> Diagnostic:
    """The diagnostic of a token that fits once the block before it is closed."""
    _, line, head = open_block(text, token.start_pos or 0)
    return replace(diagnostic, message=f"'}}' missing before '{token}'",
                   hint=f"the block opened at line {line} ({head} {{) is not closed")


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
