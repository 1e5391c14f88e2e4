"""Limits, approvals with timing, inclusive thresholds and pause exceptions in the language:
parsed, checked (positions, hints) and formatted back to the same text."""

from __future__ import annotations

import pytest

from dsl import ast
from dsl.checker import check
from dsl.errors import RuleError
from dsl.formatter import format_rules
from dsl.parser import parse

HEAD = 'institution t { name "T" timezone "Europe/Rome" holidays IT }\n'

CANONICAL = HEAD.replace("{ ", "{\n    ").replace('" t', '"\n    t').replace(
    "Rome\" h", "Rome\"\n    h").replace(" }", "\n}") + '''
rules from 2026-01-01 {
    profile full_time {
        due 7h12m
        pause {
            from 6h
            min 30m
            band 12:00..14:00
            skipped_with code "SP"
        }
    }

    profile coadiutore {
        due 7h12m
    }

    code "1" {
        kind service
        approval director prior 1h within 48h except coadiutore
        max 2h per day
    }

    code "STRP" {
        kind overtime_paid
        approval director prior
        max 20h per month
        not_for coadiutore
    }

    code "SP" {
        kind pause_waiver
        approval director
    }

    overtime {
        max 20h per month
        max 250h per year
        unauthorised not_credited
    }
}
'''


def problems(body: str) -> list[str]:
    text = HEAD + "rules from 2026-01-01 {\nprofile full_time { due 6h }\n" + body + "\n}\n"
    rule_file = parse(text, "t.rules")
    return [f"{d.line}:{d.column}: {d.message} | {d.hint}" for d in check(rule_file)]


def test_the_constructs_parse_into_their_nodes() -> None:
    f = parse(CANONICAL, "t.rules")
    section = f.sections[0]
    codes = {s.code: s for s in section.statements if isinstance(s, ast.CodeDef)}
    one = codes["1"]
    assert one.approval is not None and one.approval.value == "director"
    assert one.approval_prior is not None and one.approval_prior.value == 60
    assert one.approval_within is not None and one.approval_within.value == 48 * 60
    assert one.approval_except is not None and one.approval_except.value == ("coadiutore",)
    assert [(c.minutes, c.period, c.pos.line) for c in one.caps] == [(120, "day", 25)]
    strp = codes["STRP"]
    assert strp.approval_prior is not None and strp.approval_prior.value == 0
    assert strp.not_for is not None and strp.not_for.value == ("coadiutore",)
    block = next(s for s in section.statements if isinstance(s, ast.Overtime))
    assert [(c.minutes, c.period) for c in block.caps] == [(1200, "month"), (15000, "year")]
    assert block.unauthorised is not None
    profile = next(s for s in section.statements if isinstance(s, ast.Profile))
    pause = profile.pause
    assert pause is not None and pause.after is not None
    assert (pause.after.value, pause.after_inclusive) == (360, True)
    assert pause.skipped_with is not None and pause.skipped_with.value == "SP"
    band = pause.bands[0]
    assert (band.last_exit, band.last_exit_given) == (14 * 60, False)
    assert check(f) == []


def test_the_constructs_format_to_themselves() -> None:
    f = parse(CANONICAL, "t.rules")
    assert format_rules(f) == CANONICAL
    shuffled = CANONICAL.replace("max 20h per month\n        max 250h per year",
                                 "max 250h per year  max 20h per month")
    assert format_rules(parse(shuffled, "t.rules")) == CANONICAL.replace(
        "max 20h per month\n        max 250h per year",
        "max 250h per year\n        max 20h per month")


def test_after_stays_exclusive() -> None:
    f = parse(HEAD + "rules from 2026-01-01 { pause { after 6h } }", "t.rules")
    pause = f.sections[0].statements[0]
    assert isinstance(pause, ast.Pause) and not pause.after_inclusive
    assert "after 6h" in format_rules(f)


def test_an_allowance_on_an_overtime_code_is_refused_not_ignored() -> None:
    """Issue 11: "`allowance` on an overtime code passes `check` and the engine ignores it"."""
    found = problems('allowance a { amount 10h per year }\n'
                     'code "S" { kind overtime_paid  allowance a }')
    assert found == ['5:32: overtime code "S" cannot draw on an allowance | limit overtime '
                     "with 'max 20h per month' in the code or an overtime { … } block"]


def test_limits_are_checked() -> None:
    found = problems('code "C" { max 20m per day  max 10m per day  max 2h per month '
                     ' max 1h per year }\n'
                     'code "W" { kind day_swap  max 1h per month }\n'
                     'overtime { max 2h per day }')
    assert found == [
        '4:29: code "C" has two limits per day | the other is at line 4; keep one',
        '4:46: the limit of 2h per month is more than the 1h per year | '
        'that one is at line 4',
        "5:27: a code of kind day_swap credits nothing to limit | remove the max",
        "6:23: the overtime block limits months and years | "
        "a day's limit goes on the code: max 2h per day",
    ]


def test_an_unknown_period_says_did_you_mean() -> None:
    with pytest.raises(RuleError) as error:
        parse(HEAD + 'rules from 2026-01-01 { code "C" { max 2h per mont } }', "t.rules")
    assert "unknown limit period 'mont'" in str(error.value)
    assert "did you mean 'month'" in str(error.value)


def test_profiles_named_by_a_code_must_exist() -> None:
    found = problems('profile coadiutore { due 6h }\n'
                     'code "1" { approval director except coadiutor  not_for coadiutre }')
    assert [f.split(" | ")[0] for f in found] == [
        "5:37: unknown profile 'coadiutor'", "5:56: unknown profile 'coadiutre'"]
    assert all("did you mean 'coadiutore'" in f for f in found)


def test_a_profile_banned_from_a_code_needs_no_waiver() -> None:
    found = problems('profile p { due 6h }\ncode "1" { approval director except p  not_for p }')
    assert found == ["5:37: profile 'p' may not use code \"1\": it needs no waiver of its "
                     "approval | remove it from 'except' or from 'not_for'"]


def test_skipped_with_needs_a_code_that_can_excuse_a_pause() -> None:
    found = problems('code "X" { kind hourly_absence }\n'
                     'pause { skipped_with code "X" }\n'
                     'profile p { pause { skipped_with code "Y" } }')
    assert found == [
        '5:27: code "X" is of kind hourly_absence: a skipped pause is given back (kind '
        'pause_waiver) or counted as overtime | give it kind pause_waiver, overtime_paid or '
        "overtime_banked",
        "6:39: unknown code 'Y' | expected one of: X",
    ]


def test_after_and_from_are_one_threshold() -> None:
    with pytest.raises(RuleError) as error:
        parse(HEAD + "rules from 2026-01-01 { pause { after 6h  from 6h } }", "t.rules")
    assert "is given twice in pause" in str(error.value)


def test_pause_none_parses_formats_and_excludes_a_pause_block() -> None:
    text = HEAD + "rules from 2026-01-01 { profile full_time { due 7h12m  pause none } }\n"
    f = parse(text, "t.rules")
    profile = f.sections[0].statements[0]
    assert isinstance(profile, ast.Profile) and profile.no_pause is not None
    assert "        pause none\n" in format_rules(f)
    found = problems("profile shift { due 6h  pause { min 10m }  pause none }")
    assert found == ["4:50: profile 'shift' has a pause block and 'pause none' | keep one"]


def test_who_approves_a_missed_stamp_is_a_word_of_the_stamping_block() -> None:
    text = HEAD + "rules from 2026-01-01 { stamping { missed_stamp approval director } }\n"
    f = parse(text, "t.rules")
    stamping = f.sections[0].statements[0]
    assert isinstance(stamping, ast.Stamping) and stamping.missed_stamp_approval is not None
    assert stamping.missed_stamp_approval.value == "director"
    assert "        missed_stamp approval director\n" in format_rules(f)
    with pytest.raises(RuleError) as error:
        parse(text.replace("director", "directr"), "t.rules")
    assert "unknown approver 'directr'" in str(error.value)


def test_a_code_draws_on_two_allowances_in_order() -> None:
    text = (HEAD + "rules from 2026-01-01 {\n    profile full_time { due 6h }\n"
            "    allowance a { amount 1h per year }\n    allowance b { amount 2h per year }\n"
            '    code "C" { allowance a then b }\n}\n')
    f = parse(text, "t.rules")
    code = next(s for s in f.sections[0].statements if isinstance(s, ast.CodeDef))
    assert code.allowance is not None and code.allowance_then is not None
    assert (code.allowance.value, code.allowance_then.value) == ("a", "b")
    assert '        allowance a then b\n' in format_rules(f) and check(f) == []
    found = problems('allowance a { amount 1h per year }\n'
                     'code "D" { allowance a then a }\ncode "E" { allowance a then bb }')
    assert found == ["5:29: allowance 'a' follows itself | name another allowance after 'then'",
                     "6:29: unknown allowance 'bb' | expected one of: a"]
