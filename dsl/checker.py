"""What the grammar cannot see: the meaning of a parsed rule file.

`check(rule_file)` returns every problem it finds as a `Diagnostic`, ordered
by place; an empty list means the file can be compiled into a policy.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable

import holidays

from dsl import ast
from dsl.checks_account import check_account
from dsl.checks_deadlines import check_deadlines, check_recover_by
from dsl.checks_leave import check_leave
from dsl.checks_limits import check_code_limits, check_overtime, check_skipped_with
from dsl.checks_schedule import check_example, check_profile, check_shift, pattern_pauses
from dsl.errors import Diagnostic, M, did_you_mean, one_of, source_line
from dsl.formatter import clock, duration, quote

FULL_TIME = "full_time"


def check(rule_file: ast.RuleFile) -> list[Diagnostic]:
    """Every problem of a parsed rule file, by line and column."""
    reporter = Reporter(rule_file)
    _check_institution(reporter, rule_file)
    _SectionChecker(reporter).run(rule_file.sections)
    for example in rule_file.examples:
        _check_example(reporter, rule_file.sections, example)
    return sorted(reporter.found, key=lambda d: (d.line, d.column))


class Reporter:
    """Collects diagnostics, pointing the caret at a word when one is named."""

    def __init__(self, rule_file: ast.RuleFile) -> None:
        self.rule_file = rule_file
        self.found: list[Diagnostic] = []

    def error(
        self, pos: ast.Pos, message: str, hint: str | None = None, word: str | None = None
    ) -> None:
        text = source_line(self.rule_file.source, pos.line)
        column = pos.column
        if word is not None:
            column = _column_of(text, word, pos.column)
        self.found.append(Diagnostic(pos.file, pos.line, column, message, text, hint))


def _column_of(line: str, word: str, column: int) -> int:
    """Where `word` (quoted, or standing alone) is written from `column` on."""
    for pattern in (re.escape(quote(word)), rf"(?<![\w\"]){re.escape(word)}(?![\w\"])"):
        found = re.compile(pattern).search(line, max(column - 1, 0))
        if found:
            return found.start() + 1
    return column


# ---- institution -----------------------------------------------------------------


def _check_institution(reporter: Reporter, rule_file: ast.RuleFile) -> None:
    inst = rule_file.institution
    if inst is None:
        reporter.error(
            ast.Pos(rule_file.path, 1, 1),
            M("the file has no institution block"),
            M("start it with: institution <id> { name \"…\" timezone \"Europe/Rome\" holidays IT "
              "}"),
        )
        return
    if inst.name is None:
        reporter.error(inst.pos, M("institution '{}' has no name", inst.id), M("add: name \"…\""))
    if inst.timezone is None:
        reporter.error(
            inst.pos, M("institution '{}' has no timezone",
                        inst.id), M("add: timezone \"Europe/Rome\"")
        )
    elif not _is_timezone(inst.timezone.value):
        zone = inst.timezone.value
        hint = did_you_mean(zone, zoneinfo.available_timezones()) or M("e.g. \"Europe/Rome\"")
        reporter.error(inst.timezone.pos, M("unknown timezone '{}'", zone), hint)
    if inst.holidays is None:
        reporter.error(
            inst.pos, M("institution '{}' has no holidays", inst.id), M("add: holidays IT \"MI\"")
        )
    else:
        _check_holidays(reporter, inst.holidays)


def _is_timezone(key: str) -> bool:
    try:
        zoneinfo.ZoneInfo(key)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _check_holidays(reporter: Reporter, h: ast.Holidays) -> None:
    supported = holidays.list_supported_countries()
    if h.country not in supported:
        reporter.error(
            h.pos, M("unknown holiday country '{}'", h.country),
            did_you_mean(h.country, supported) or M("use an ISO 3166 code such as IT"),
            word=h.country,
        )
        return
    if h.subdivision is None:
        return
    try:
        holidays.country_holidays(h.country, subdiv=h.subdivision)
    except NotImplementedError:
        reporter.error(
            h.pos, M("unknown subdivision '{}' of {}", h.subdivision, h.country),
            one_of(h.subdivision, supported[h.country]),
            word=h.subdivision,
        )


# ---- rules sections ----------------------------------------------------------------


class _SectionChecker:
    """Checks the sections in file order, knowing what earlier ones defined."""

    def __init__(self, reporter: Reporter) -> None:
        self.reporter = reporter
        self.error = reporter.error
        self.codes: set[str] = set()
        self.allowances: set[str] = set()
        self.profiles: set[str] = set()
        self.kinds: dict[str, str] = {}
        self.deadlines: dict[str, ast.When] = {}
        self.shifts: set[str] = set()

    def run(self, sections: tuple[ast.RulesSection, ...]) -> None:
        if not sections:
            path = self.reporter.rule_file.path
            self.error(ast.Pos(path, 1, 1), M("the file has no rules section"),
                       M("add: rules from 2026-01-01 { profile full_time { … } }"))
            return
        for previous, section in zip((None, *sections), sections, strict=False):
            if previous is not None:
                self.order(previous, section)
            self.section(section)
        latest = max(sections, key=lambda s: s.effective)
        if FULL_TIME not in self.profiles:
            self.error(latest.pos, M("no profile '{}' in the rules in force from {}", FULL_TIME,
                                     latest.effective),
                       M("every institution needs one; define it in this section or an earlier "
                         "one"))

    def order(self, previous: ast.RulesSection, section: ast.RulesSection) -> None:
        day = section.effective.isoformat()
        if section.effective == previous.effective:
            self.error(section.pos, M("two rules sections from {}", day),
                       M("the other is at line {}", previous.pos.line), word=day)
        elif section.effective < previous.effective:
            self.error(section.pos, M("rules sections go in date order, but {} comes after {}",
                                      day, previous.effective), M("move it before line {}",
                                                                  previous.pos.line),
                       word=day)

    def section(self, section: ast.RulesSection) -> None:
        self.duplicates(section.statements)
        for stmt in section.statements:
            if isinstance(stmt, ast.CodeDef):
                self.codes.add(stmt.code)
                self.kinds[stmt.code] = stmt.kind.value if stmt.kind else "hourly_absence"
            elif isinstance(stmt, ast.Allowance):
                self.allowances.add(stmt.name)
            elif isinstance(stmt, ast.Profile):
                self.profiles.add(stmt.name)
            elif isinstance(stmt, ast.Shift):
                self.shifts.add(stmt.name)
                check_shift(self.reporter, stmt)
        for stmt in section.statements:
            if isinstance(stmt, ast.Profile):
                self.profile(stmt)
            elif isinstance(stmt, ast.Pause):
                self.pause(stmt)
            elif isinstance(stmt, ast.CodeDef):
                self.code(stmt)
            elif isinstance(stmt, ast.Overtime):
                check_overtime(self.error, stmt)
            elif isinstance(stmt, ast.Deadlines):
                check_deadlines(self.error, stmt, self.deadlines)
            elif isinstance(stmt, ast.Allowance):
                check_recover_by(self.error, stmt)
            elif isinstance(stmt, ast.Account):
                check_account(self.error, stmt, self.profiles)
        drawn: dict[str, str] = {}  # per section: a later one may give a code to another leave
        for stmt in section.statements:
            if isinstance(stmt, ast.Leave):
                check_leave(self.error, stmt, self.kinds, drawn)

    def duplicates(self, statements: Iterable[ast.Statement]) -> None:
        seen: dict[tuple[str, str], int] = {}
        for stmt in statements:
            if isinstance(stmt, ast.Profile | ast.Allowance | ast.Shift | ast.Leave):
                key = (type(stmt).__name__.lower(), stmt.name)
            elif isinstance(stmt, ast.CodeDef):
                key = ("code", stmt.code)
            else:
                continue
            if key in seen:
                self.error(stmt.pos, M("{} '{}' is defined twice in this section", key[0], key[1]),
                           M("the first is at line {}; keep one", seen[key]))
            seen.setdefault(key, stmt.pos.line)

    def profile(self, p: ast.Profile) -> None:
        check_profile(self.reporter, p, self.shifts)
        for pause in pattern_pauses(p):
            self.pause(pause)
        if p.monte_ore is not None:
            self.monte_ore(p, p.monte_ore)
        if p.pause is not None:
            self.pause(p.pause)
            if p.no_pause is not None:
                self.error(p.no_pause.pos, M("profile '{}' has a pause block and 'pause none'",
                                             p.name), M("keep one"), word="none")

    def monte_ore(self, p: ast.Profile, m: ast.MonteOre) -> None:
        # A monte ore replaces the daily schedule: with a `due` too, the month would owe twice.
        if p.due is not None:
            self.error(m.pos, M("profile '{}' has both a daily due and a monte ore", p.name),
                       M("a monte ore is owed over the period, not day by day: remove 'due'"),
                       word="monte_ore")
        if p.weekly is not None and m.unit == "week" and p.weekly.value != m.minutes:
            self.error(m.pos, M("monte_ore {} per week does not match weekly {}",
                                duration(m.minutes), duration(p.weekly.value)),
                       M("the weekly hours are at line {}", p.weekly.pos.line),
                       word=duration(m.minutes))
        if m.minutes <= 0:
            self.error(m.pos, M("a monte ore owes more than 0 minutes"), word="monte_ore")

    def pause(self, pause: ast.Pause) -> None:
        if pause.inside_service is not None and pause.min is None:
            self.error(pause.inside_service.pos,
                       M("inside_service deduct_min needs the pause's min"),
                       M("add: min 30m"), word="inside_service")
        if pause.min and pause.max and pause.min.value > pause.max.value:
            self.error(pause.min.pos, M("the pause min {} is more than its max {}",
                                        duration(pause.min.value), duration(pause.max.value)))
        for band in pause.bands:
            self.band(band)
        bands = [b for b in pause.bands if b.start < b.end]
        for i, band in enumerate(bands):
            for other in bands[:i]:
                self.overlap(band, other)
        check_skipped_with(self.error, pause, self.kinds)
        if (code := pause.outside_band_code) is not None and code.value not in self.codes:
            self.error(code.pos, M("unknown code '{}'", code.value), self.code_hint(code.value),
                       word=code.value)

    def band(self, band: ast.Band) -> None:
        if band.end <= band.start:
            self.error(band.pos, M("the band {} does not end after it starts", _span(band)))
        elif not band.start <= band.last_exit <= band.end:
            self.error(band.pos, M("last_exit {} lies outside the band {}", clock(band.last_exit),
                                   _span(band)), M("the last exit for the pause is within its "
                                                   "band"),
                       word="last_exit")

    def overlap(self, band: ast.Band, other: ast.Band) -> None:
        hint = M("the other band is at line {}", other.pos.line)
        if (band.start, band.end) == (other.start, other.end):
            self.error(band.pos, M("overlapping bands: {} is given twice", _span(band)), hint)
        elif other.start <= band.start and band.end <= other.end:
            self.error(band.pos, M("overlapping bands: {} lies inside {}", _span(band),
                                   _span(other)),
                       hint)
        elif band.start <= other.start and other.end <= band.end:
            self.error(band.pos, M("overlapping bands: {} contains {}", _span(band), _span(other)),
                       hint)

    def code(self, code: ast.CodeDef) -> None:
        if (name := code.allowance) is not None and name.value not in self.allowances:
            hint = (one_of(name.value, self.allowances) if self.allowances
                    else M("define it with: allowance <name> { … } in this section or an earlier "
                      "one"))
            self.error(name.pos, M("unknown allowance '{}'", name.value), hint, word=name.value)
        check_code_limits(self.error, code, self.profiles)
        then = code.allowance_then
        if then is not None and then.value not in self.allowances:
            self.error(then.pos, M("unknown allowance '{}'", then.value),
                       one_of(then.value, self.allowances), word=then.value)
        elif then is not None and code.allowance and then.value == code.allowance.value:
            self.error(then.pos, M("allowance '{}' follows itself", then.value),
                       M("name another allowance after 'then'"), word=then.value)

    def code_hint(self, code: str) -> str:
        if self.codes:
            return one_of(code, self.codes)
        return M("define code {} in this section or an earlier one", quote(code))


def _span(band: ast.Band) -> str:
    return f"{clock(band.start)}..{clock(band.end)}"


# ---- examples -------------------------------------------------------------------------


def _check_example(
    reporter: Reporter, sections: tuple[ast.RulesSection, ...], example: ast.Example
) -> None:
    missing = [
        (example.profile is None, "profile", M("add: profile full_time")),
        (example.date is None, "date", M("add: date 2026-03-02")),
        (not example.expectations, "expect", M("add: expect worked 7h15m balance 0m")),
    ]
    for absent, word, hint in missing:
        if absent:
            reporter.error(example.pos, M("example {} has no '{}'", quote(example.name), word),
                           hint)
    if example.date is None or not sections:
        return
    day = example.date.value
    in_force = [s for s in sections if s.effective <= day]
    if not in_force:
        first = min(s.effective for s in sections)
        reporter.error(example.date.pos, M("example dated {} is before the first rules section",
                                           day),
                       M("the rules start on {}", first), word=day.isoformat())
        return
    profiles = _profiles(in_force)
    codes = _codes(in_force)
    if example.profile is not None and example.profile.value not in profiles:
        name = example.profile.value
        reporter.error(example.profile.pos, M("unknown profile '{}' on {}", name, day),
                       _hint(name, set(profiles), M("profile")), word=name)
    elif example.profile is not None:
        shifts = {s.name: s for x in in_force for s in x.statements if isinstance(s, ast.Shift)}
        check_example(reporter, profiles[example.profile.value], shifts, example)
    for code, pos in _codes_used(example):
        if code not in codes:
            reporter.error(pos, M("unknown code '{}'", code), _hint(code, codes, M("code")),
                           word=code)


def _profiles(sections: Iterable[ast.RulesSection]) -> dict[str, ast.Profile]:
    """The profiles in force, the latest definition of each."""
    return {p.name: p for s in sections for p in s.statements if isinstance(p, ast.Profile)}


def _codes(sections: Iterable[ast.RulesSection]) -> set[str]:
    return {c.code for s in sections for c in s.statements if isinstance(c, ast.CodeDef)}


def _codes_used(example: ast.Example) -> list[tuple[str, ast.Pos]]:
    used = [(s.code, s.pos) for s in example.stamps if s.code is not None]
    used += [(r.code, r.pos) for r in example.requests]
    used += [(x.name, x.pos) for x in example.expectations if x.kind == "code"]
    return used


def _hint(name: str, known: set[str], what: str) -> str:
    if not known:
        return M("no {} is defined in the rules in force then", what)
    return one_of(name, known)
