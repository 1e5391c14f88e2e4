"""The checker: one test per rule, each asserting the message and its place."""

from __future__ import annotations

from pathlib import Path

import pytest

import dsl
from dsl.checker import check
from dsl.errors import Diagnostic, RuleError
from dsl.parser import parse

VALID_PATH = Path(__file__).parents[1] / "data" / "valid.rules"
VALID = VALID_PATH.read_text(encoding="utf-8")

SECOND_SECTION = """
rules from 2025-01-01 {
    code "35" {
        kind service
    }
}
"""


def problems(text: str) -> list[Diagnostic]:
    return check(parse(text, "t.rules"))


def only(text: str) -> Diagnostic:
    found = problems(text)
    assert len(found) == 1, [d.render() for d in found]
    return found[0]


def edit(old: str, new: str, text: str = VALID) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def where(d: Diagnostic) -> tuple[int, int, str]:
    return d.line, d.column, d.message


def test_valid_file_has_no_problem() -> None:
    # The two bands overlap in part (13:15..14:15), which is allowed.
    assert problems(VALID) == []


def test_diagnostics_carry_file_and_source_line() -> None:
    d = only(edit('timezone "Europe/Rome"', 'timezone "Europe/Roma"'))
    assert d.file == "t.rules"
    assert d.source_line == '    timezone "Europe/Roma"'
    assert d.render().splitlines()[2] == "    " + " " * 13 + "^"


# ---- institution -------------------------------------------------------------------


def test_institution_is_required() -> None:
    text = VALID[VALID.index("rules from") :]
    d = only(text)
    assert where(d) == (1, 1, "the file has no institution block")
    assert d.hint is not None and "institution <id>" in d.hint


def test_institution_needs_a_name() -> None:
    assert where(only(edit('    name "Demo"\n', ""))) == (1, 1, "institution 'demo' has no name")


def test_institution_needs_a_timezone() -> None:
    d = only(edit('    timezone "Europe/Rome"\n', ""))
    assert where(d) == (1, 1, "institution 'demo' has no timezone")


def test_timezone_must_be_a_zoneinfo_key() -> None:
    d = only(edit('timezone "Europe/Rome"', 'timezone "Europe/Roma"'))
    assert where(d) == (3, 14, "unknown timezone 'Europe/Roma'")
    assert d.hint == "did you mean 'Europe/Rome'?"


def test_institution_needs_holidays() -> None:
    d = only(edit('    holidays IT "MI"\n', ""))
    assert where(d) == (1, 1, "institution 'demo' has no holidays")


def test_holiday_country_must_be_known() -> None:
    d = only(edit('holidays IT "MI"', "holidays XQ"))
    assert where(d) == (4, 14, "unknown holiday country 'XQ'")


def test_holiday_subdivision_must_be_known() -> None:
    d = only(edit('holidays IT "MI"', 'holidays IT "MX"'))
    assert where(d) == (4, 17, "unknown subdivision 'MX' of IT")
    assert d.hint is not None and "MI" in d.hint


# ---- sections ------------------------------------------------------------------------


def test_at_least_one_rules_section() -> None:
    text = VALID[: VALID.index("rules from")]
    assert where(only(text)) == (1, 1, "the file has no rules section")


def test_sections_in_date_order() -> None:
    text = edit("rules from 2025-01-01", "rules from 2023-06-01", VALID + SECOND_SECTION)
    d = only(text)
    assert where(d) == (45, 12, "rules sections go in date order, but 2023-06-01 comes after "
                       "2024-01-01")
    assert d.hint == "move it before line 7"


def test_no_two_sections_with_the_same_date() -> None:
    text = edit("rules from 2025-01-01", "rules from 2024-01-01", VALID + SECOND_SECTION)
    d = only(text)
    assert where(d) == (45, 12, "two rules sections from 2024-01-01")
    assert d.hint == "the other is at line 7"


def test_latest_section_needs_full_time() -> None:
    text = VALID.replace("profile full_time", "profile office")
    d = only(text)
    assert where(d) == (7, 1, "no profile 'full_time' in the rules in force from 2024-01-01")


def test_full_time_may_come_from_an_earlier_section() -> None:
    assert problems(VALID + SECOND_SECTION) == []


def test_definition_given_twice_in_a_section() -> None:
    text = edit('    code "49" {', '    code "29" {\n    }\n\n    code "49" {')
    d = only(text)
    assert where(d) == (28, 5, "code '29' is defined twice in this section")
    assert d.hint == "the first is at line 23; keep one"


# ---- profiles and pauses ---------------------------------------------------------------


def test_weekly_must_be_due_times_days() -> None:
    d = only(edit("weekly 36h", "weekly 35h"))
    assert where(d) == (9, 9, "weekly 35h does not match due × days")
    assert d.hint == "due 7h12m × 5 days = 36h"


def test_entry_window_start_before_end() -> None:
    d = only(edit("entry 08:00..09:00", "entry 09:00..08:00"))
    assert where(d) == (12, 9, "the entry window 09:00..08:00 does not end after it starts")


def test_last_stamp_after_entry_start() -> None:
    d = only(edit("last_stamp 16:00", "last_stamp 07:30"))
    assert where(d) == (13, 9, "last_stamp 07:30 is not after the entry start 08:00")


def test_pause_min_not_above_max() -> None:
    d = only(edit("min 30m", "min 3h"))
    assert where(d) == (15, 13, "the pause min 3h is more than its max 2h")


def test_band_start_before_end() -> None:
    d = only(edit("band 13:15..15:30 last_exit 15:00", "band 15:30..13:15 last_exit 15:00"))
    assert where(d) == (18, 13, "the band 15:30..13:15 does not end after it starts")


def test_band_last_exit_within_band() -> None:
    d = only(edit("band 11:45..14:15 last_exit 13:45", "band 11:45..14:15 last_exit 14:45"))
    assert where(d) == (17, 31, "last_exit 14:45 lies outside the band 11:45..14:15")


def test_band_inside_another_overlaps() -> None:
    d = only(edit("band 13:15..15:30 last_exit 15:00", "band 12:00..14:00 last_exit 13:30"))
    assert where(d) == (18, 13, "overlapping bands: 12:00..14:00 lies inside 11:45..14:15")
    assert d.hint == "the other band is at line 17"


def test_identical_bands_overlap() -> None:
    d = only(edit("band 13:15..15:30 last_exit 15:00", "band 11:45..14:15 last_exit 14:00"))
    assert where(d) == (18, 13, "overlapping bands: 11:45..14:15 is given twice")
    assert d.hint == "the other band is at line 17"


def test_outside_band_code_must_be_defined() -> None:
    d = only(edit('outside_band code "49"', 'outside_band code "499"'))
    assert where(d) == (19, 31, "unknown code '499'")
    assert d.hint == "did you mean '49'?"


# ---- codes ---------------------------------------------------------------------------


def test_code_allowance_must_be_defined() -> None:
    d = only(edit("allowance personal\n", "allowance persnal\n"))
    assert where(d) == (25, 19, "unknown allowance 'persnal'")
    assert d.hint == "did you mean 'personal'?"


def test_code_allowance_from_a_later_section_is_unknown() -> None:
    later = SECOND_SECTION.replace('code "35" {', "allowance extra {\n    }\n\n    code \"35\" {")
    text = edit("allowance personal\n", "allowance extra\n", VALID + later)
    assert where(only(text)) == (25, 19, "unknown allowance 'extra'")


# ---- examples ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "word"),
    [("    profile full_time\n", "profile"), ("    date 2024-03-04\n", "date"),
     ("    expect worked 7h code 29 1h\n", "expect")],
)
def test_example_needs_profile_date_and_expect(line: str, word: str) -> None:
    d = only(edit(line, ""))
    assert where(d) == (37, 1, f"example \"ok\" has no '{word}'")


def test_example_profile_must_be_in_force() -> None:
    d = only(edit("    profile full_time\n    date", "    profile full_tme\n    date"))
    assert where(d) == (38, 13, "unknown profile 'full_tme' on 2024-03-04")
    assert d.hint == "did you mean 'full_time'?"


def test_example_before_the_first_section() -> None:
    d = only(edit("date 2024-03-04", "date 2023-12-31"))
    assert where(d) == (39, 10, "example dated 2023-12-31 is before the first rules section")
    assert d.hint == "the rules start on 2024-01-01"


def test_unknown_code_in_stamps() -> None:
    d = only(edit("out 12:00 code 29", "out 12:00 code 39x"))
    assert where(d) == (40, 37, "unknown code '39x'")
    assert d.hint == "expected one of: 29, 49"


def test_unknown_code_gets_did_you_mean() -> None:
    d = only(edit("request 29", "request 290"))
    assert where(d) == (41, 13, "unknown code '290'")
    assert d.hint == "did you mean '29'?"


def test_unknown_code_in_expect() -> None:
    d = only(edit("code 29 1h", "code 35 1h"))
    assert where(d) == (42, 27, "unknown code '35'")


def test_codes_of_a_later_section_are_not_in_force() -> None:
    text = edit("code 29 1h", "code 35 1h", VALID + SECOND_SECTION)
    assert where(only(text)) == (42, 27, "unknown code '35'")
    assert problems(text.replace("date 2024-03-04", "date 2025-03-03")) == []


# ---- load --------------------------------------------------------------------------------


def test_load_returns_a_checked_file() -> None:
    rules = dsl.load(VALID_PATH)
    assert rules.institution is not None and rules.institution.id == "demo"


def test_load_raises_the_checker_diagnostics(tmp_path: Path) -> None:
    path = tmp_path / "bad.rules"
    path.write_text(edit("weekly 36h", "weekly 35h"), encoding="utf-8")
    with pytest.raises(RuleError) as caught:
        dsl.load(path)
    (d,) = caught.value.diagnostics
    assert (d.file, d.line, d.message) == (str(path), 9, "weekly 35h does not match due × days")


# ---- monte ore -------------------------------------------------------------------------

EP = """    profile ep {
        weekly 36h
        monte_ore 36h per week over month
    }

"""


def with_ep(profile: str = EP) -> str:
    return edit('    code "29" {', profile + '    code "29" {')


def test_a_monte_ore_profile_is_valid() -> None:
    """Seed 004 Art. 4: "il raggiungimento del monte ore previsto da CCNL"."""
    assert problems(with_ep()) == []


def test_a_monte_ore_profile_has_no_daily_due() -> None:
    d = only(with_ep(EP.replace("weekly 36h", "weekly 36h\n        due 7h12m")))
    assert where(d) == (26, 9, "profile 'ep' has both a daily due and a monte ore")
    assert d.hint is not None and "remove 'due'" in d.hint


def test_a_monte_ore_per_week_matches_the_weekly_hours() -> None:
    d = only(with_ep(EP.replace("weekly 36h", "weekly 35h")))
    assert where(d) == (25, 19, "monte_ore 36h per week does not match weekly 35h")
    assert d.hint == "the weekly hours are at line 24"


def test_a_monte_ore_names_its_unit_and_period_from_their_lists() -> None:
    text = with_ep(EP.replace("per week over month", "per wek over year"))
    with pytest.raises(RuleError) as caught:
        parse(text, "t.rules")
    unit, period = caught.value.diagnostics
    assert where(unit) == (25, 27, "unknown monte ore unit 'wek'")
    assert unit.hint == "did you mean 'week'?"
    assert where(period) == (25, 36, "unknown monte ore period 'year'")


def test_a_pause_taken_inside_a_service_span_needs_its_minimum() -> None:
    d = only(edit("            min 30m\n", "            inside_service deduct_min\n"))
    assert where(d) == (15, 13, "inside_service deduct_min needs the pause's min")
    assert d.hint == "add: min 30m"
