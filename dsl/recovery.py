"""Error recovery: read past a syntax error so one run reports every error of a file.

Lark's LALR parser stops at the first unexpected token. Here the interactive parser
is driven token by token instead, and after an error it resynchronises the way a
reader would:

* a block left open: if closing one or two blocks makes the token fit (a `code`
  after a profile that lacks its `}`), the `}` is taken as written;
* a statement left unfinished (`due` and nothing after it): the token is tried again
  from where that statement began, so the next line parses as written;
* otherwise the rest of the broken statement is skipped: the words of its line, and
  a whole `{ … }` block it opens, so a misspelt block name gives one error, not one
  per line inside it.

Only the first error of a line is reported: what follows it on the line is noise.
Lark's interactive parser is untyped, hence the few `type: ignore[no-untyped-call]`.
"""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass, field

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.parsers.lalr_interactive_parser import InteractiveParser

from dsl.errors import Diagnostic
from dsl.near_miss import missing_brace, near_miss, unfinished

Describe = Callable[[UnexpectedInput], Diagnostic]
_Say = Callable[[str, Token, Diagnostic], Diagnostic]
# How many `}` a missing-brace repair may supply at one place: more is a guess.
_MAX_CLOSED = 2
_RBRACE = "RBRACE"
# The parser's stacks, and how many children each tree on the value stack had: Lark builds
# `stmt*` lists by appending in place to the tree below, so a restore cuts them back.
_Snapshot = tuple[list[int], list[object], list[int]]


@dataclass
class _Recovery:
    parser: Lark
    text: str
    describe: Describe
    found: list[Diagnostic] = field(default_factory=list)
    error_line: int = 0  # the line of the last reported error
    skipping: bool = False  # inside a broken statement
    depth: int = 0  # braces the broken statement opened
    last_line: int = 0  # the line of the last token the parser took
    # The parser's stacks before the first token of `last_line`: where its statement began.
    snapshot: _Snapshot | None = None
    eof_reported: bool = False

    def report(self, exc: UnexpectedInput, line: int, say: _Say | None = None) -> None:
        if line > self.error_line or not self.found:
            diagnostic = self.describe(exc)
            if isinstance(exc, UnexpectedToken) and exc.token.type != "$END":
                if say is None:
                    diagnostic = near_miss(self.parser, self.text, exc.token, diagnostic)
                else:
                    diagnostic = say(self.text, exc.token, diagnostic)
            self.found.append(diagnostic)
        self.error_line = max(self.error_line, line)
        self.skipping = True

    def take(self, ip: InteractiveParser, token: Token) -> None:
        """Feed one token, or recover from it."""
        line = token.line or 0
        if self.skipping and self.depth:
            self._skip_block(token)
            return
        before = _snapshot(ip) if line > self.last_line else self.snapshot
        try:
            ip.feed_token(token)
        except UnexpectedToken as exc:
            self.unexpected(ip, exc)
            return
        self.skipping = False
        self.last_line, self.snapshot = line, before

    def unexpected(self, ip: InteractiveParser, exc: UnexpectedToken) -> None:
        token = exc.token
        line = token.line or 0
        if self.skipping and line <= self.error_line:
            self._skip(token)
            return
        if _feeds_after_closing(ip, token):
            self.report(exc, line, missing_brace)
            self.skipping = False
            self.last_line, self.snapshot = line, None
            return
        unfinished_line = self.last_line
        if self._feeds_from_statement_start(ip, token):
            if self.error_line < unfinished_line:  # else its own error already said it
                self.report(exc, line, lambda text, _, said: unfinished(
                    self.parser, text, unfinished_line, said))
            self.skipping = False
            self.last_line, self.snapshot = line, None
            return
        self.report(exc, line)
        self._skip(token)

    def _feeds_from_statement_start(self, ip: InteractiveParser, token: Token) -> bool:
        """Drop the unfinished statement of the last line read, then retry the token."""
        saved = self.snapshot
        if saved is None or (token.line or 0) <= self.last_line:
            return False
        choices = ip.choices()  # type: ignore[no-untyped-call]
        if _RBRACE in choices or "$END" in choices:
            return False  # the last statement is complete: nothing to drop
        trial = ip.copy(deepcopy_values=False)  # type: ignore[no-untyped-call]
        states, values, sizes = saved
        _restore(trial, (states, deepcopy(values), sizes))
        try:
            trial.feed_token(token)
        except UnexpectedToken:
            return False
        _restore(ip, saved)
        ip.feed_token(token)
        return True

    def _skip(self, token: Token) -> None:
        if token.type == "LBRACE":
            self.depth += 1

    def _skip_block(self, token: Token) -> None:
        if token.type == "LBRACE":
            self.depth += 1
        elif token.type == _RBRACE:
            self.depth -= 1
            if self.depth == 0:
                # The broken block is over; what follows is read afresh.
                self.skipping = False
                self.error_line = token.line or self.error_line



def _snapshot(ip: InteractiveParser) -> _Snapshot:
    state = ip.parser_state
    values = list(state.value_stack)
    sizes = [len(v.children) if isinstance(v, Tree) else 0 for v in values]
    return list(state.state_stack), values, sizes


def _restore(ip: InteractiveParser, saved: _Snapshot) -> None:
    state = ip.parser_state
    states, values, sizes = saved
    state.state_stack[:] = states
    state.value_stack[:] = values
    for value, size in zip(values, sizes, strict=True):
        if isinstance(value, Tree):
            del value.children[size:]


def _feeds_after_closing(ip: InteractiveParser, token: Token) -> bool:
    """Close up to `_MAX_CLOSED` blocks if the token then fits; say whether it did."""
    for closed in range(1, _MAX_CLOSED + 1):
        # Deep: lark appends to the trees of the value stack in place.
        trial = ip.copy()  # type: ignore[no-untyped-call]
        try:
            for _ in range(closed):
                trial.feed_token(Token.new_borrow_pos(_RBRACE, "}", token))
            trial.feed_token(token)
        except UnexpectedToken:
            continue
        for _ in range(closed):
            ip.feed_token(Token.new_borrow_pos(_RBRACE, "}", token))
        ip.feed_token(token)
        return True
    return False


def recover(
    parser: Lark, text: str, start: str, describe: Describe
) -> tuple[Tree[Token] | None, list[Diagnostic]]:
    """The parse tree as far as it could be read, and every syntax error on the way.

    The tree is None only when the end of the file could not be reached even by closing
    the blocks left open; otherwise it holds every statement that parsed."""
    ip = parser.parse_interactive(text, start)
    run = _Recovery(parser, text, describe)
    last: Token | None = None
    while True:
        try:
            for token in ip.lexer_thread.lex(ip.parser_state):  # type: ignore[no-untyped-call]
                last = token
                run.take(ip, token)
            break
        except UnexpectedCharacters as exc:
            run.report(exc, exc.line)
            lexer_state = ip.lexer_thread.state
            assert lexer_state is not None
            position = lexer_state.line_ctr.char_pos
            lexer_state.line_ctr.feed(text[position : position + 1])
        except UnexpectedToken as exc:
            # A word the grammar knows, but not here: the contextual lexer has read it.
            last = exc.token
            if run.skipping and run.depth:
                run._skip_block(exc.token)
            else:
                run.unexpected(ip, exc)
    return _finish(ip, run, last)


def _finish(
    ip: InteractiveParser, run: _Recovery, last: Token | None
) -> tuple[Tree[Token] | None, list[Diagnostic]]:
    """Feed the end of the file, closing the blocks still open (an error already said so)."""
    for _ in range(64):
        try:
            tree: Tree[Token] = ip.feed_eof(last)  # type: ignore[no-untyped-call]
            return tree, run.found
        except UnexpectedToken as exc:
            if not run.eof_reported:
                run.found.append(run.describe(exc))
                run.eof_reported = True
            try:
                ip.feed_token(Token.new_borrow_pos(_RBRACE, "}", last) if last else
                              Token(_RBRACE, "}"))
            except UnexpectedToken:
                return None, run.found
    return None, run.found
