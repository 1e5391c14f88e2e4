"""What `check` refuses in the statements that shape days: profiles' `on`, `choose`,
`cycle` and `shifts`, the shifts of a rota, a week's hours against `weekly`, and examples
whose `chosen`, `shift` or next-morning stamps do not fit their profile."""

from __future__ import annotations

from typing import Protocol

from dsl import ast
from dsl import day_layers as L
from dsl.errors import M, one_of
from dsl.formatter import clock, days, duration


class Reports(Protocol):
    def error(self, pos: ast.Pos, message: str, hint: str | None = None,
              word: str | None = None) -> None: ...


def check_profile(r: Reports, p: ast.Profile, shifts: set[str]) -> None:
    _choices(r, p)
    working = set(p.days.value if p.days else L.WEEKDAYS)
    for on in p.on:
        outside = [d for d in on.days if d not in working]
        if outside and p.cycle is None:
            r.error(on.pos, M("on {}: not a working day of profile '{}'", days(tuple(outside)),
                              p.name), M("add the day to 'days', or remove it here"))
        if p.choose is not None and set(p.choose.among) & set(on.days):
            r.error(on.pos, M("on {} overlaps the days of 'choose'", days(on.days)),
                    M("a day that may be chosen is shaped by the choose block at line {}: say it "
                      "there", p.choose.pos.line))
    if p.cycle is not None:
        _cycle(r, p.cycle)
    if p.shifts is not None:
        _shifts(r, p, p.shifts, shifts)
    windows(r, p)
    for block in _patterns(p):
        windows(r, block)
    _weekly(r, p)


def _patterns(p: ast.Profile) -> list[ast.DayPattern]:
    found = [o.pattern for o in p.on]
    if p.cycle is not None:
        found += [x for w in p.cycle.items for x in (w.pattern, *(o.pattern for o in w.pattern.on))]
    if p.choose is not None and p.choose.pattern is not None:
        found.append(p.choose.pattern)
    return found


def pattern_pauses(p: ast.Profile) -> list[ast.Pause]:
    """The pause blocks of the days a profile shapes apart, for the checks of any pause."""
    return [b.pause for b in _patterns(p) if b.pause is not None]


def _choices(r: Reports, p: ast.Profile) -> None:
    c, contract = p.choose, p.contract_days
    if contract is not None and p.days is not None:
        r.error(contract.pos, M("'days choose' and 'days' both give the working days"),
                M("keep one; 'days' is at line {}", p.days.pos.line), word="choose")
    if contract is not None and c is not None:
        r.error(c.pos, M("profile '{}' chooses days twice", p.name),
                M("an employee's record holds one set of chosen days: keep 'days choose' or "
                  "'choose … { }'"), word="choose")
    for choice in (c, contract):
        if choice is None:
            continue
        if not 1 <= choice.count < len(choice.among):
            r.error(choice.pos, M("choose {} of {} leaves nothing to choose", choice.count,
                                  days(choice.among)),
                    M("choose between 1 and {} of them, or name the days with 'on' or 'days'",
                      len(choice.among) - 1), word=str(choice.count))
    working = set(p.days.value if p.days else L.WEEKDAYS)
    if c is not None and p.cycle is None and not set(c.among) <= working:
        r.error(c.pos, M("choose … of {}: not all working days of '{}'", days(c.among), p.name),
                M("the working days are {}", days(tuple(sorted(working)))))


def _cycle(r: Reports, cycle: ast.Cycle) -> None:
    if cycle.anchor.isoweekday() != 1:
        r.error(cycle.pos, M("the cycle starts on {}, not a Monday", cycle.anchor),
                M("weeks run Monday to Sunday: anchor the cycle on a Monday"),
                word=cycle.anchor.isoformat())
    numbers = [w.number for w in cycle.items]
    wanted = list(range(1, cycle.weeks + 1))
    if sorted(numbers) != wanted:
        r.error(cycle.pos, M("a cycle of {} weeks needs weeks {}, each once", cycle.weeks,
                             ', '.join(map(str, wanted))),
                M("found: {}", ', '.join(map(str, numbers)) or 'none'))


def _shifts(r: Reports, p: ast.Profile, listed: ast.At[tuple[str, ...]],
            known: set[str]) -> None:
    for name in listed.value:
        if name not in known:
            hint = one_of(name, known) if known else M("define it with: shift <name> { span … }")
            r.error(listed.pos, M("unknown shift '{}'", name), hint, word=name)
    rival = [w for w, v in (("days", p.days), ("due", p.due), ("choose", p.choose),
                            ("cycle", p.cycle), ("days choose", p.contract_days)) if v]
    if rival or p.on:
        r.error(listed.pos, M("profile '{}' works in shifts and also says {}", p.name,
                              ', '.join(rival or ['on'])),
                M("a day in shifts takes its days and due from the rota's shift: remove them"))


def check_shift(r: Reports, s: ast.Shift) -> None:
    if s.span is None:
        r.error(s.pos, M("shift '{}' has no span", s.name), M("add: span 21:00..07:00"))
        return
    start, end = s.span.value
    length = (L.shift_end(s) or 0) - start
    if start == end:
        r.error(s.span.pos, M("the span of shift '{}' is empty", s.name),
                M("a span that ends before it starts ends the next day"))
    windows(r, s)
    if s.due is not None and s.due.value > length:
        r.error(s.due.pos, M("shift '{}' owes {} in a span of {}", s.name, duration(s.due.value),
                             duration(length)), M("the span is at line {}", s.span.pos.line))


def windows(r: Reports, d: L.Layer) -> None:
    start, until = d.entry_from, d.entry_until
    if start and until and until.value <= start.value:
        r.error(start.pos, M("the entry window {}..{} does not end after it starts",
                             clock(start.value), clock(until.value)))
    if start and d.last_stamp and d.last_stamp.value <= start.value:
        r.error(d.last_stamp.pos, M("last_stamp {} is not after the entry start {}",
                                    clock(d.last_stamp.value), clock(start.value)))
    end = d.last_stamp or start
    if end and d.count_until and d.count_until.value <= end.value \
            and not isinstance(d, ast.Shift):
        r.error(d.count_until.pos, M("count_until {} is not after {}", clock(d.count_until.value),
                                     clock(end.value)), M("work is counted up to count_until"))


def _weekly(r: Reports, p: ast.Profile) -> None:
    if p.weekly is None or p.shifts is not None or p.monte_ore is not None:
        return
    weeks = [w for w in p.cycle.items] if p.cycle else [None]
    totals = [L.week_minutes(p, w) for w in weeks]
    if not any(totals):
        return
    shaped = p.on or p.choose or p.cycle or p.contract_days
    if not shaped:
        count = len(p.days.value) if p.days else len(L.WEEKDAYS)
        if p.due is not None and p.days is not None and totals[0] != p.weekly.value:
            r.error(p.weekly.pos, M("weekly {} does not match due × days",
                                    duration(p.weekly.value)),
                    M("due {} × {} days = {}", duration(p.due.value), count, duration(totals[0])))
        return
    if sum(totals) != p.weekly.value * len(totals):
        added = " and ".join(duration(t) for t in totals)
        r.error(p.weekly.pos, M("weekly {} does not match the week's dues",
                                duration(p.weekly.value)),
                M("the cycle's weeks average {} (weeks)", added) if len(totals) > 1
                else M("the week's days add up to {}", added))


def check_example(r: Reports, p: ast.Profile | None, shifts: dict[str, ast.Shift],
                  e: ast.Example) -> None:
    if p is None:
        return
    choice = p.choose or p.contract_days
    if e.chosen is not None:
        picked = e.chosen.value
        if choice is None:
            r.error(e.chosen.pos, M("profile '{}' lets no days be chosen", p.name),
                    M("remove 'chosen', or give the profile a 'choose'"), word="chosen")
        elif len(picked) != choice.count or not set(picked) <= set(choice.among):
            r.error(e.chosen.pos, M("chosen {} does not fit '{}' (line {})", days(picked),
                                    _choice_text(choice), choice.pos.line),
                    M("choose {} of {}", choice.count, days(choice.among)), word="chosen")
    shift = _example_shift(r, p, shifts, e)
    limit = L.stamps_until(shift) if shift else L.MINUTES_PER_DAY
    for s in e.stamps:
        if s.minute >= limit or (s.minute >= L.MINUTES_PER_DAY and shift is None):
            what = M("shift '{}' owns stamps until {}+1", shift.name,
                     clock(limit % L.MINUTES_PER_DAY)) if shift \
                else M("only a shift across midnight has stamps the morning after")
            r.error(s.pos, M("a stamp at {}+1 does not belong to this day",
                             clock(s.minute % L.MINUTES_PER_DAY)), what)


def _choice_text(c: ast.Choose) -> str:
    return f"choose {c.count} of {days(c.among)}"


def _example_shift(r: Reports, p: ast.Profile, shifts: dict[str, ast.Shift],
                   e: ast.Example) -> ast.Shift | None:
    if e.shift is None:
        return None
    name = e.shift.value
    listed = p.shifts.value if p.shifts else ()
    if name not in listed:
        hint = one_of(name, set(listed)) if listed else M("the profile has no 'shifts'")
        r.error(e.shift.pos, M("profile '{}' does not work shift '{}'", p.name, name), hint,
                word=name)
        return None
    return shifts.get(name)
