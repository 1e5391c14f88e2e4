"""`source "art. 5 c. 2" "the sentence"`: where a rule comes from in the regulation.

The lexer skips a source like a comment (the `SOURCE` terminal of the grammar), so one
may stand before any statement of any block without each block's grammar naming it; this
module reads them from the text, with their positions, and ties each to the statement
that follows it. Explanations name the source of the rule they cite
(`server.policy.model.Policy.regulation`), the language server shows it on hover, and
`timbra rules coverage` prints a plugin's coverage table from them.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from functools import lru_cache

from dsl.ast import Comment, Pos, RuleFile, Source
from dsl.errors import Diagnostic, M, source_line
from dsl.transformer.literals import unquote

_STRING = r'"(?:[^"\\\n]|\\.)*"'
SOURCE = re.compile(rf"source[ \t]+({_STRING})(?:[ \t]+({_STRING}))?")
HINT = M('write it like source "art. 5 c. 2", or source "003:l.46" "the sentence quoted"')


def read_sources(text: str, file: str) -> tuple[tuple[Source, ...], list[Diagnostic]]:
    """Every source of a file, each tied to the statement after it, and what is wrong."""
    if "source" not in text:
        return (), []
    found: list[Source] = []
    problems: list[Diagnostic] = []
    events = list(_events(text))
    for index, event in enumerate(events):
        if not isinstance(event, re.Match):
            continue
        line, column = _line_column(text, event.start())
        ref, quote = unquote(event.group(1)).strip(), event.group(2)
        target = next((e for e in events[index + 1:] if not isinstance(e, re.Match)), None)
        if not ref:
            problems.append(Diagnostic(file, line, column,
                                       M("a source names a place in the regulation"),
                                       source_line(text, line), HINT))
        elif target is None or text[target] == "}":
            problems.append(Diagnostic(
                file, line, column, M("a source annotates the statement after it; none follows"),
                source_line(text, line), M("put it on the line before the statement it quotes")))
        else:
            t_line, t_column = _line_column(text, target)
            end = _end_line(text, events, events.index(target), t_line)
            found.append(Source(ref, None if quote is None else unquote(quote).strip(),
                                Pos(file, line, column), Pos(file, t_line, t_column), end))
    return tuple(found), problems


def _events(text: str) -> Iterator[re.Match[str] | int]:
    """The sources (matches) and the offsets of every other character of code, in order:
    strings count as code (their opening quote), comments and blanks do not."""
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "#":
            newline = text.find("\n", i)
            i = n if newline < 0 else newline
        elif ch == '"':
            string = re.compile(_STRING).match(text, i)
            yield i
            i = string.end() if string else i + 1
        elif ch.isspace():
            i += 1
        elif text.startswith("source", i) and (m := SOURCE.match(text, i)) and _word_start(
                text, i):
            yield m
            i = m.end()
        else:
            yield i
            word = re.compile(r"\w+").match(text, i)
            i = word.end() if word else i + 1


def _word_start(text: str, i: int) -> bool:
    return i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")


def _end_line(text: str, events: list[re.Match[str] | int], first: int, line: int) -> int:
    """The statement's last line: its own, or its block's closing brace."""
    depth = 0
    opened = False
    for event in events[first:]:
        if isinstance(event, re.Match):
            continue
        here = _line_column(text, event)[0]
        if not opened and here != line:
            return line  # no block opened on the statement's line
        if text[event] == "{":
            depth, opened = depth + 1, True
        elif text[event] == "}":
            depth -= 1
            if depth <= 0:
                return here
    return line


def _line_column(text: str, offset: int) -> tuple[int, int]:
    starts = _line_starts(text)
    line = bisect.bisect_right(starts, offset)
    return line, offset - starts[line - 1] + 1


@lru_cache(maxsize=8)
def _line_starts(text: str) -> list[int]:
    return [0, *(m.end() for m in re.finditer("\n", text))]


def innermost(sources: tuple[Source, ...], line: int) -> tuple[Source, ...]:
    """The sources of the most specific statement around `line`: the one that starts
    latest among those that contain it (a statement inside a block before the block)."""
    around = [s for s in sources if s.target.line <= line <= s.target_end]
    if not around:
        return ()
    start = max(s.target.line for s in around)
    return tuple(s for s in around if s.target.line == start)


def as_comments(rule_file: RuleFile) -> list[Comment]:
    """The comments and the sources, the way the formatter's layout places them: a source is
    printed just before the statement after it, as a comment on its own line is, and keeps
    the comment written after it on its line."""
    lines = {s.pos.line: s for s in rule_file.sources}
    kept = [c for c in rule_file.comments if c.line not in lines]
    for line, s in lines.items():
        text = f"source {_quote(s.ref)}" + ("" if s.quote is None else f" {_quote(s.quote)}")
        after = [c.text for c in rule_file.comments if c.line == line]
        kept.append(Comment(line, "  ".join([text, *after]), True))
    return sorted(kept, key=lambda c: c.line)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
