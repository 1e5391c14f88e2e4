"""Lines, blocks, blank lines and comments of the canonical form.

The formatter turns the syntax tree into a tree of `Node`s, one per printed
statement, already in canonical order. This module puts the comments of the
source back (they are not in the syntax tree, only in `RuleFile.comments`)
and prints the nodes.

Where a comment goes:
- a comment on its own line belongs to the first statement that follows it in
  the source and is printed just before it; if a closing brace comes first, it
  is printed before that brace; after the last item, at the end of the file;
- a comment after code belongs to the statement, block head or closing brace
  written last before it in the source (a closing brace counts as written after
  everything else that its line opens) and is printed after it, two spaces apart.

Blank lines: one between top-level items; inside a rules section one around
every block, and between two one-line statements only where the source had
one; none inside other blocks. Blank lines between comments, and between a
comment and the statement it belongs to, are kept (one at most).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from dsl.ast import Comment

INDENT = "    "
Spacing = Literal["loose", "section", "tight"]


@dataclass(eq=False)
class Node:
    """One printed statement; a block when `children` is not None."""

    text: str
    line: int
    column: int
    children: list[Node] | None = None
    end_line: int = 0
    spacing: Spacing = "tight"
    leading: list[Comment] = field(default_factory=list)
    trailing: list[Comment] = field(default_factory=list)
    closing_leading: list[Comment] = field(default_factory=list)
    closing_trailing: list[Comment] = field(default_factory=list)

    @property
    def last_line(self) -> int:
        return self.end_line if self.children is not None else self.line


@dataclass(frozen=True)
class _Anchor:
    line: int
    rank: int  # order within the line: the column, or after it for a closing brace
    node: Node
    closing: bool


def render(root: Node, comments: Sequence[Comment], source: str) -> str:
    """Print `root`'s children as a whole file, comments put back in place."""
    _place_comments(root, comments)
    printer = _Printer(source.splitlines())
    printer.children(root, 0)
    return "\n".join(printer.lines) + "\n" if printer.lines else ""


# ---- comments -------------------------------------------------------------------


def _anchors(root: Node) -> list[_Anchor]:
    found: list[_Anchor] = []

    def walk(node: Node, depth: int) -> None:
        found.append(_Anchor(node.line, node.column, node, False))
        if node.children is not None:
            for child in node.children:
                walk(child, depth + 1)
            found.append(_Anchor(node.end_line, 1_000_000 - depth, node, True))

    for child in root.children or ():
        walk(child, 0)
    return found


def _place_comments(root: Node, comments: Sequence[Comment]) -> None:
    in_source = sorted(_anchors(root), key=lambda a: (a.line, a.rank))
    for comment in comments:
        if not comment.own_line:
            target = _trailing_target(comment, in_source)
            if target is not None:
                (target.node.closing_trailing if target.closing else target.node.trailing).append(
                    comment
                )
                continue
        following = next((a for a in in_source if a.line > comment.line), None)
        if following is None:
            root.closing_leading.append(comment)
        elif following.closing:
            following.node.closing_leading.append(comment)
        else:
            following.node.leading.append(comment)


def _trailing_target(comment: Comment, in_source: list[_Anchor]) -> _Anchor | None:
    """The statement, brace or block head written last before the comment."""
    earlier = [a for a in in_source if a.line <= comment.line]
    return earlier[-1] if earlier else None


# ---- printing -------------------------------------------------------------------


class _Printer:
    def __init__(self, source_lines: list[str]) -> None:
        self.source = source_lines
        self.lines: list[str] = []

    def blank_in_source(self, after: int, before: int) -> bool:
        """Whether a blank line lies strictly between two source lines."""
        last = min(before, len(self.source) + 1)
        return any(not self.source[n - 1].strip() for n in range(max(after + 1, 1), last))

    def blank(self) -> None:
        if self.lines and self.lines[-1]:
            self.lines.append("")

    def comments(self, comments: list[Comment], indent: str, next_line: int | None) -> None:
        for i, comment in enumerate(comments):
            if i and self.blank_in_source(comments[i - 1].line, comment.line):
                self.blank()
            self.lines.append(indent + comment.text)
        if not comments or next_line is None:
            return
        if self.blank_in_source(comments[-1].line, next_line):  # detached from what follows
            self.blank()

    def separated(
        self, spacing: Spacing, previous: Node | None, node: Node | None, first_line: int
    ) -> bool:
        """Whether a blank line goes before `node` (None: the comments before a '}')."""
        if previous is None or spacing == "tight":
            return False
        if spacing == "loose":
            return True
        is_block = node is not None and node.children is not None
        return (
            is_block
            or previous.children is not None
            or self.blank_in_source(previous.last_line, first_line)
        )

    def children(self, parent: Node, depth: int) -> None:
        previous: Node | None = None
        for child in parent.children or ():
            first = child.leading[0].line if child.leading else child.line
            if self.separated(parent.spacing, previous, child, first):
                self.blank()
            self.node(child, depth)
            previous = child
        closing = parent.closing_leading
        if closing:
            if self.separated(parent.spacing, previous, None, closing[0].line):
                self.blank()
            self.comments(closing, INDENT * depth, None)

    def node(self, node: Node, depth: int) -> None:
        indent = INDENT * depth
        self.comments(node.leading, indent, node.line)
        if node.children is None:
            self.lines.append(indent + node.text + _trail(node.trailing))
        elif not node.children and not node.closing_leading:
            self.lines.append(
                f"{indent}{node.text} {{}}" + _trail(node.trailing + node.closing_trailing)
            )
        else:
            self.lines.append(f"{indent}{node.text} {{" + _trail(node.trailing))
            self.children(node, depth + 1)
            self.lines.append(f"{indent}}}" + _trail(node.closing_trailing))


def _trail(comments: list[Comment]) -> str:
    return "".join("  " + c.text for c in comments)
