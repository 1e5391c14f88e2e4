"""The whole file: the institution block, the dated rules sections and their examples; each
statement of a section is handed to the builder of its block."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lark import Token, Tree

from dsl import ast
from dsl.errors import M
from dsl.transformer.account import AccountBlock
from dsl.transformer.codes import CodeBlocks
from dsl.transformer.controls import ControlBlocks
from dsl.transformer.examples import ExampleBlock
from dsl.transformer.leave import LeaveBlock
from dsl.transformer.literals import unquote
from dsl.transformer.profile import ProfileBlock


class ToAst(ProfileBlock, AccountBlock, CodeBlocks, ControlBlocks, ExampleBlock, LeaveBlock):
    def rule_file(self, tree: Tree[Token]) -> ast.RuleFile:
        institution: ast.Institution | None = None
        sections: list[ast.RulesSection] = []
        examples: list[ast.Example] = []
        for item in tree.children:
            assert isinstance(item, Tree)
            if item.data == "institution":
                if institution is not None:
                    self.error(item, M("a rule file describes one institution"),
                               M("remove this block"))
                institution = self.institution(item)
            elif item.data == "rules_section":
                sections.append(self.rules_section(item))
            else:
                examples.append(self.example(item))
        return ast.RuleFile(self.file, self.text, institution, tuple(sections), tuple(examples))

    def institution(self, tree: Tree[Token]) -> ast.Institution:
        name_token = tree.children[0]
        assert isinstance(name_token, Token)
        fields = self.collect(tree, 1, "institution", self.inst_stmt)
        return ast.Institution(str(name_token), self.pos(tree), self.end_line(tree), **fields)

    def inst_stmt(self, tree: Tree[Token]) -> tuple[str, Any]:
        kids = [c for c in tree.children if isinstance(c, Token)]
        if tree.data == "inst_name":
            return "name", self.at(unquote(kids[0]), kids[0])
        if tree.data == "timezone":
            return "timezone", self.at(unquote(kids[0]), kids[0])
        sub = unquote(kids[1]) if len(kids) > 1 else None
        return "holidays", ast.Holidays(str(kids[0]), sub, self.pos(tree))

    def rules_section(self, tree: Tree[Token]) -> ast.RulesSection:
        date_token = tree.children[0]
        assert isinstance(date_token, Token)
        effective = self.date(date_token)
        title: str | None = None
        first = 1
        maybe_title = tree.children[1] if len(tree.children) > 1 else None
        if isinstance(maybe_title, Token):
            title = unquote(maybe_title)
            first = 2
        statements = [self.statement(c) for c in tree.children[first:] if isinstance(c, Tree)]
        return ast.RulesSection(
            effective, title, self.pos(tree), self.end_line(tree), tuple(statements)
        )

    def statement(self, tree: Tree[Token]) -> ast.Statement:
        handler: dict[str, Callable[[Tree[Token]], ast.Statement]] = {
            "stamping": self.stamping,
            "profile": self.profile,
            "code_def": self.code_def,
            "pause": self.pause,
            "meal_voucher": self.meal_voucher,
            "allowance": self.allowance,
            "deadlines": self.deadlines,
            "flag": self.flag,
            "fee": self.fee,
            "password": self.password,
            "half_day": self.half_day,
            "tolerance": self.tolerance,
            "overtime": self.overtime,
            "shift": self.shift,
            "leave": self.leave,
            "account": self.account,
        }
        return handler[str(tree.data)](tree)
