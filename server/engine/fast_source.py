"""The source of the fast day function, before a plan's figures are written into it.

`#if FLAG` / `#else` / `#endif` lines keep or drop what a plan does not use (no
rounding, no pause, no entry window...), and `$name` is replaced by the plan's
integer, so the function run per day tests no option and reads no attribute of
the plan. Names used but not defined here (`codes`, `x_after`, `_coded`...) are
the namespace that `fast.compile_fast` executes it in.
"""

from __future__ import annotations

from string import Template

SOURCE = '''
def for_day(day, working, opening):
    due = $due if working else 0

    def evaluate(stamps):
        notes = [*opening]
        kept = []
        intervals = []
        gaps = []
        moved = inside = coded = False
        # Before any stamp, however early: the first is never out of order nor a double swipe.
        previous = last_minute = -1_000_000_000
        last_direction = None
        open_minute = gross = 0
        open_code = None
        for s in stamps:
            raw = s.minute
            if raw < previous:
                # Rare; the general path sorts stably, so does this.
                return evaluate(sorted(stamps, key=_minute))
            previous = raw
            if s.code is not None and s.code not in codes:
                return None  # a code the rules do not define: an anomaly
#if rounding
            minute = (raw + $half_step) // $step * $step
            if minute != raw:
                moved = True
#else
            minute = raw
#endif
            direction = s.direction
#if double_swipe
#if alternate
            if minute - last_minute <= $window:
#else
            if minute - last_minute <= $window and direction == last_direction:
#endif
#if explain_double_swipe
                notes.append(_NOTE(Note, (x_swipe, N.DOUBLE_SWIPE, (raw,))))
#endif
                continue
            last_minute = minute
            last_direction = direction
#endif
            code = s.code
            if code is not None:
                coded = True
            if inside:
                if direction == "in":
                    return None  # two entries in a row: an anomaly
                direction = direction or "out"
                if intervals:
                    before = intervals[-1]
                    gaps.append((before[1], open_minute, before[3] or open_code))
                intervals.append((open_minute, minute, open_code, code))
                gross += minute - open_minute
                inside = False
            else:
                if direction != "in" and direction:
                    return None  # an exit without an entry: an anomaly
                direction = "in"
                open_minute = minute
                open_code = code
                inside = True
            kept.append((direction, minute, code))
        if inside:
            return None  # an entry without its exit: an anomaly
#if explain_rounding
        if moved:
            moves = _NOTE(Moves, (tuple(stamps), $step))
            notes.append(_NOTE(Note, (x_rounding, N.ROUNDED, (moves,))))
#endif
#if entry_from
        if intervals and intervals[0][0] < $entry_from:
            first = intervals[0]
            if first[1] > $entry_from:
                # Intervals follow one another: only the first can start before the entry.
#if explain_entry
                notes.append(_NOTE(Note, (x_entry, N.BEFORE_ENTRY, ($entry_from, first[0]))))
#endif
                gross -= $entry_from - first[0]
                intervals[0] = ($entry_from, first[1], first[2], first[3])
            else:
                intervals, gaps, gross = _clamp(intervals, gaps, $entry_from, x_entry, notes)
#endif

        if coded:
            figures = _coded(codes, overtime_codes, intervals, gaps, due, entry_until,
                             last_stamp, x_until, notes)
            if figures is None:
                return None
            (overtime, service, credited, to_recover, overtime_paid, overtime_banked,
             by_code, allowance_used) = figures
#if service_is_work
            if service:
                return None  # service time is work for the pause rules: the general path
#endif
        else:
            overtime = service = credited = to_recover = overtime_paid = overtime_banked = 0
            by_code = {}
            allowance_used = {}

        pause_deducted = from_service = 0
        regular_pause = False
#if pause
        if intervals:
            found = None
            for gap in gaps:
#if bands
                if gap[2] is None and ($in_band):
#else
                if gap[2] is None:
#endif
                    found = gap
                    break
            if found is None:
#if deduct_without_gaps
                if not gaps:
                    # Worked in one stretch: the most common way a pause goes missing.
                    if gross > $after and $deduct:
                        notes.append(_NOTE(Note, (x_after, N.PAUSE_DUE, (gross,))))
                        pause_deducted = gross if gross < $deduct else $deduct
#if explain_deduct
                        notes.append(_NOTE(Note, (x_deduct, N.NO_PAUSE, (pause_deducted,))))
#endif
                else:
                    figures = _unfound_pause(pause, codes, intervals, gaps, gross, service,
                                             notes)
                    if figures is None:
                        return None
                    pause_deducted, regular_pause, service, from_service = figures
#else
                figures = _unfound_pause(pause, codes, intervals, gaps, gross, service, notes)
                if figures is None:
                    return None
                pause_deducted, regular_pause, service, from_service = figures
#endif
            elif gross > $after:
                regular_pause = True
                taken = found[1] - found[0]
                if taken < $pause_min:
                    pause_deducted = $pause_min - taken
                    notes.append(_NOTE(Note, (x_after, N.PAUSE_DUE, (gross,))))
#if explain_pause_min
                    notes.append(_NOTE(Note, (x_min, N.PAUSE_SHORT, (taken, pause_deducted))))
#endif
                else:
                    notes.append(_NOTE(Note, (x_after, N.PAUSE_TAKEN, (gross, taken))))
            else:
                regular_pause = True
#endif

        unjustified = 0
#if late_checks
        if working:
            if not intervals:
                if due:
                    return None  # absent without justification: an anomaly
            else:
                pass
#if entry_until
                first_in = intervals[0][0]
                if first_in > $entry_until and not intervals[0][2]:
                    unjustified = first_in - $entry_until
#if explain_late
                    notes.append(_NOTE(Note, (x_late, N.LATE, (first_in, unjustified))))
#endif
#endif
#if last_stamp
                last_out = intervals[-1][1]
                if last_out < $last_stamp and not intervals[-1][3]:
                    early = $last_stamp - last_out
                    unjustified += early
#if explain_last_stamp
                    notes.append(_NOTE(Note, (x_last, N.EARLY, (last_out, early))))
#endif
#endif
#endif

        worked = gross - overtime - pause_deducted + from_service
        if worked < 0:
            worked = 0
        worked += service
        balance = worked + credited - due
        tolerated = 0
#if tolerance
        if -$tolerance <= balance < 0 and intervals:
            tolerated = -balance
            balance = 0
#if explain_tolerance
            notes.append(_NOTE(Note, (x_tolerance, N.MARGIN, (tolerated,))))
#endif
#endif
        negative_flex = -balance - unjustified - to_recover
        if negative_flex < 0:
            negative_flex = 0
        meal_voucher = False
#if meal
        if worked >= $meal_min:
#if meal_requires_pause
            meal_voucher = regular_pause
#else
            meal_voucher = True
#endif
#if explain_meal
            notes.append(meal_notes[meal_voucher])
#endif
#endif
        return DayResult(
            day, profile, working, worked, due, balance, pause_deducted, credited,
            unjustified, negative_flex, tolerated, to_recover, overtime_paid,
            overtime_banked, meal_voucher, regular_pause, by_code, allowance_used, [],
            notes, kept,
        )

    return evaluate
'''


def render(flags: dict[str, bool], values: dict[str, object]) -> str:
    """SOURCE with the lines of unset flags dropped and the plan's figures written in."""
    kept: list[str] = []
    stack: list[bool] = []  # per open #if: whether its current branch is kept
    for line in SOURCE.splitlines():
        directive = line.strip()
        if directive.startswith("#if "):
            stack.append(flags[directive[4:]])
        elif directive == "#else":
            stack[-1] = not stack[-1]
        elif directive == "#endif":
            stack.pop()
        elif all(stack):
            kept.append(line)
    if stack:
        raise ValueError("unbalanced #if in the fast day source")
    return Template("\n".join(kept) + "\n").substitute(values)
