"""Every `timbra` command the documentation names exists: in the Markdown's code (inline
spans and fenced blocks), each `timbra WORD [WORD]` must walk timbra's own argument
parser down to a command, so a renamed or removed command cannot stay documented."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from server.cli.main import build_parser

ROOT = Path(__file__).resolve().parents[2]
SKIP_DIRS = {".git", ".venv", "node_modules", "build", "dist"}
FENCE = re.compile(r"```[^\n]*\n(.*?)```", re.S)
SPAN = re.compile(r"`([^`\n]+)`")
# `timbra` as the program a line (or a code span) runs: first, or after `sudo` and
# VARIABLE=value assignments, maybe with its path (.venv/bin/timbra).
COMMAND = re.compile(r"^\s*(?:sudo\s+)?(?:[A-Z_]+=\S*\s+)*(?:\S*/)?timbra"
                     r"((?:[ \t]+[a-z][a-z-]*)+)", re.M)


def documents() -> list[Path]:
    return sorted(path for path in ROOT.rglob("*.md")
                  if not SKIP_DIRS & set(path.relative_to(ROOT).parts))


def commands_in(text: str) -> list[list[str]]:
    code = FENCE.findall(text)
    code += SPAN.findall(FENCE.sub("", text))
    return [match.split() for piece in code for match in COMMAND.findall(piece)]


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def unknown(words: list[str]) -> str | None:
    """None if `timbra WORDS…` names a command, else the word that is not one."""
    parser = build_parser()
    for word in words:
        choices = subcommands(parser)
        if not choices:
            return None  # an argument of the command reached
        if word not in choices:
            return word
        parser = choices[word]
    return None


def test_the_walk_tells_a_command_from_a_made_up_one() -> None:
    assert unknown(["db", "upgrade"]) is None and unknown(["users", "add"]) is None
    assert unknown(["db", "downgrade"]) == "downgrade" and unknown(["serve"]) == "serve"
    assert commands_in("run `timbra web` then\n```\n.venv/bin/timbra db upgrade\n```") == [
        ["db", "upgrade"], ["web"]]
    # Not the program: a user named timbra, a message quoted.
    assert commands_in("```\nuseradd --home-dir /opt/timbra timbra\nthis timbra needs\n```"
                       ) == []


@pytest.mark.parametrize("document", documents(),
                         ids=lambda path: path.relative_to(ROOT).as_posix())
def test_every_timbra_command_named_exists(document: Path) -> None:
    text = document.read_text(encoding="utf-8")
    wrong = [" ".join(["timbra", *words]) for words in commands_in(text) if unknown(words)]
    assert not wrong, f"{document.relative_to(ROOT)} names commands timbra lacks: {wrong}"
