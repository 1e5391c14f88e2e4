"""Deadlines in hours, counted from another deadline, or open: parsed, checked, formatted."""

from __future__ import annotations

from dsl import ast
from dsl.checker import check
from dsl.formatter import format_rules
from dsl.parser import parse

HEAD = ('institution t { name "T" timezone "Europe/Rome" holidays IT }\n'
        "rules from 2026-01-01 {\nprofile full_time { due 6h }\n")


def deadlines(body: str) -> tuple[ast.Deadlines, list[str]]:
    f = parse(HEAD + body + "\n}\n", "t.rules")
    block = next(s for s in f.sections[0].statements if isinstance(s, ast.Deadlines))
    return block, [f"{d.line}:{d.column}: {d.message} | {d.hint}" for d in check(f)]


def test_hours_anchors_and_open_deadlines_parse_and_format() -> None:
    block, found = deadlines("deadlines {\n    report day 15 of next_month\n"
                             "    correction_request 5 days after report\n"
                             "    missed_stamp 48h\n    compensatory_rest open\n"
                             "    negative_balance 36h after report\n}")
    assert found == []
    whens = {d.name: d.when for d in block.items}
    assert (whens["correction_request"].kind, whens["correction_request"].number,
            whens["correction_request"].anchor) == ("within_days", 5, "report")
    assert (whens["missed_stamp"].kind, whens["missed_stamp"].number) == ("within_time", 2880)
    assert whens["compensatory_rest"].kind == "open_ended"
    text = format_rules(parse(HEAD + "deadlines { correction_request 5 days after report "
                              "report day 15 of next_month  missed_stamp 48h  "
                              "compensatory_rest open }\n}\n", "t.rules"))
    assert ("        correction_request 5 days after report\n"
            "        report day 15 of next_month\n        missed_stamp 48h\n"
            "        compensatory_rest open\n") in text


def test_an_anchor_must_be_a_deadline_with_a_date_of_its_own() -> None:
    _, found = deadlines("deadlines {\n    correction_request 5 days after report\n}")
    assert found == ["5:37: deadline 'correction_request' is counted from 'report', which is "
                     "not given | add: report day 10 of next_month"]
    _, found = deadlines("deadlines {\n    correction_request 5 days after report\n"
                         "    missed_stamp 2 days after negative_balance\n"
                         "    report 1 days after report\n}")
    assert found == [
        "5:37: 'report' is itself counted from another deadline | count from a deadline that "
        "names its own date",
        "6:25: missed_stamp is counted from the day it is about | remove 'after "
        "negative_balance'",
        "7:25: deadline 'report' is counted from itself | name another deadline",
    ]


def test_an_anchor_counted_from_another_is_refused() -> None:
    _, found = deadlines("deadlines {\n    report day 15 of next_month\n"
                         "    correction_request 5 days after report\n"
                         "    negative_balance 2 days after correction_request\n}")
    assert [f.split(" | ")[0] for f in found] == [
        "7:35: 'correction_request' is itself counted from another deadline"]


def test_recover_by_is_not_counted_from_a_deadline() -> None:
    _, found = deadlines("allowance a { recover_by 5 days after report }\n"
                         "deadlines { report day 10 of next_month }")
    assert [f.split(" | ")[0] for f in found] == [
        "4:33: an allowance's recover_by is counted from the month it is used in"]
