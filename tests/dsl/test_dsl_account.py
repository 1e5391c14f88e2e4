"""The `account` block: parsed with positions, checked with hints, formatted back."""

from __future__ import annotations

from datetime import date

import pytest

from dsl import ast
from dsl.checker import check
from dsl.errors import RuleError
from dsl.formatter import format_rules
from dsl.parser import parse

HEAD = """institution demo {
    name "Demo"
    timezone "Europe/Rome"
    holidays IT "MI"
}
rules from 2026-01-01 {
    profile full_time { days mon..fri due 7h12m }
    profile ep { days mon..fri due 7h12m }
"""
ACCOUNT = """    account {
        label "Conto ore"
        carry monthly max 40h
        compensate automatic
        recover_by end of month + 2
        not_recovered use leave ferie
        year_end carry max 36h
        year_end expire for ep
    }
"""


def rules(account: str) -> str:
    return HEAD + account + "}\n"


def messages(account: str) -> list[tuple[int, str, str | None]]:
    return [(d.line, d.message, d.hint) for d in check(parse(rules(account), "t.rules"))]


def test_the_block_as_written() -> None:
    [section] = parse(rules(ACCOUNT), "t.rules").sections
    account = section.statements[-1]
    assert isinstance(account, ast.Account)
    assert account.pos == ast.Pos("t.rules", 9, 5)
    assert account.carry_monthly == ast.CarryMonthly(2400, ast.Pos("t.rules", 11, 9))
    assert account.recover_by is not None and (account.recover_by.period,
                                               account.recover_by.months) == ("month_plus", 2)
    assert account.not_recovered == ast.Settle("leave", "ferie", ast.Pos("t.rules", 14, 23))
    assert [(y.keep, y.minutes, y.profiles) for y in account.year_end] == [
        ("max", 2160, ()), ("none", 0, ("ep",))]
    assert account.year_end_for("ep") == account.year_end[1]
    assert account.year_end_for("full_time") == account.year_end[0]
    assert check(parse(rules(ACCOUNT), "t.rules")) == []


def test_formatting_is_canonical_and_stable() -> None:
    shuffled = ACCOUNT.replace("        label \"Conto ore\"\n", "").replace(
        "    account {\n", "    account {\n        year_end carry all for ep\n"
        "        label \"Conto ore\"\n").replace("        year_end expire for ep\n", "")
    text = format_rules(parse(rules(shuffled), "t.rules"))
    assert "    account {\n        label \"Conto ore\"\n        carry monthly max 40h\n" in text
    assert text.index("year_end carry all for ep") > text.index("not_recovered use leave")
    assert format_rules(parse(text, "t.rules")) == text


def test_an_account_must_be_carried() -> None:
    assert messages("    account {\n        compensate automatic\n    }\n") == [
        (9, "an account that is not carried holds nothing from month to month",
         "add: carry monthly")]


def test_a_due_debt_needs_what_happens_then() -> None:
    found = messages("    account {\n        carry monthly\n        recover_by end of next_month\n"
                     "    }\n")
    assert found == [(11, "the debt falls due, but nothing says what happens then",
                      "add: not_recovered deduct (or use leave ferie, or anomaly)")]


def test_year_end_names_known_profiles_once() -> None:
    found = messages("    account {\n        carry monthly\n        year_end expire for ep, epp\n"
                     "        year_end carry all for ep\n    }\n")
    assert found == [
        (11, "unknown profile 'epp'", "did you mean 'ep'?"),
        (12, "two year_end lines for profile 'ep'", "the first is at line 11; keep one")]


def test_an_unknown_leave_gets_a_did_you_mean() -> None:
    with pytest.raises(RuleError) as raised:
        parse(rules("    account {\n        carry monthly\n        not_recovered use leave feri\n"
                    "    }\n"), "t.rules")
    [problem] = raised.value.diagnostics
    assert (problem.line, problem.message, problem.hint) == (
        11, "unknown leave 'feri'", "did you mean 'ferie'?")


def test_a_later_section_replaces_the_block_whole() -> None:
    from server.policy.compile import compile_policy

    text = rules(ACCOUNT) + "rules from 2027-01-01 {\n    account {\n        carry monthly\n" \
        "    }\n}\n"
    policy = compile_policy(parse(text, "t.rules"))
    later = policy.version_on(date(2027, 3, 1)).account
    assert later is not None and later.compensate is None and later.year_end == ()
    earlier = policy.version_on(date(2026, 3, 1)).account
    assert earlier is not None and earlier.compensate is not None
