"""A profile's rules in force, flattened to plain integers once per version.

Evaluating a day must be cheap (a month of 10,000 employees in seconds), so
everything that depends only on (version, profile) is worked out here once,
explanations included, and cached on the policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, TypeVar

from dsl import ast
from dsl.vocabulary import OVERTIME_KINDS
from server.engine import notes as N
from server.engine.notes import Note
from server.engine.results import Explain
from server.policy.model import Policy, Version

T = TypeVar("T")


class BandPlan(NamedTuple):
    start: int
    end: int
    last_exit: int
    explain: Explain


@dataclass(frozen=True, slots=True)
class CodePlan:
    code: str
    label: str
    kind: str
    allowance: str | None
    recover: bool  # drawn from an allowance that must be recovered: not credited
    approval: str | None  # None where the rules ask none, or waive it for the profile
    overtime: bool
    explain: Explain
    day_cap: int | None = None  # at most these minutes a day: `max … per day`
    explain_cap: Explain | None = None
    forbidden: bool = False  # `not_for` the profile: credits nothing, an anomaly
    special: bool = False  # a limit or a ban: the fast path leaves the day to the general one


@dataclass(frozen=True, slots=True)
class PausePlan:
    after: int
    mandatory_over: int | None
    min: int
    max: int | None
    bands: tuple[BandPlan, ...]
    deduct_unstamped: int
    outside_band_code: str | None
    inside_service: bool
    explain_after: Explain
    explain_min: Explain | None
    explain_deduct: Explain | None
    explain_mandatory: Explain | None
    explain_inside_service: Explain | None
    skipped_with: str | None = None  # an approved request of this code excuses a skipped pause
    explain_skipped: Explain | None = None


@dataclass(frozen=True, slots=True)
class DayPlan:
    profile: str
    days: frozenset[int]
    explain_days: Explain | None
    due: int
    explain_due: Explain | None
    entry_from: int | None
    entry_until: int | None
    explain_entry: Explain | None
    explain_late: Explain | None
    last_stamp: int | None
    explain_last_stamp: Explain | None
    explain_credited_until: Explain | None
    explain_absent: Explain | None
    scheduled_pause: int
    rounding: int
    explain_rounding: Explain | None
    double_swipe: int
    explain_double_swipe: Explain | None
    alternate: bool
    presence_only: bool
    pause: PausePlan | None
    meal_min: int | None
    meal_requires_pause: bool
    explain_meal: Explain | None
    meal_notes: tuple[Note, Note] | None  # the meal voucher's step, by whether it is earned
    codes: dict[str, CodePlan]
    tolerance: int
    explain_tolerance: Explain | None
    morning_credit: int | None
    afternoon_work: int | None
    explain_half_day: Explain | None
    anomaly_fix: ast.When | None
    missed_stamp: ast.When | None
    explain_excess: Explain | None = None  # uncoded work beyond the due needs an authorisation
    # The day's schedule (server/engine/schedule.py): work after count_until is not counted,
    # the day owns stamps up to stamps_until (past 1440 for a night shift), and a schedule
    # the employee's record gets wrong is an anomaly, not a silent default.
    count_until: int | None = None
    explain_count_until: Explain | None = None
    stamps_until: int = 24 * 60
    schedule_problem: tuple[str, ...] | None = None  # (anomaly code, message id, args…)
    # The contract's part-time percentage where it scaled the due (`schedule.part_time_due`):
    # `due` is `full_due` at `part_time` percent.
    part_time: int = 100
    full_due: int = 0


class UnknownProfile(LookupError):
    pass


def plan_for(policy: Policy, version: Version, profile_name: str) -> DayPlan:
    key = (id(version), profile_name)
    plan: DayPlan | None = policy.plan_cache.get(key)
    if plan is None:
        plan = policy.plan_cache[key] = _build(policy, version, profile_name)
    return plan


def _x(policy: Policy, pos: ast.Pos | None, figure: str, detail: str = "") -> Explain | None:
    return None if pos is None else _step(policy, pos, figure, detail)


def _step(policy: Policy, pos: ast.Pos, figure: str, detail: str = "") -> Explain:
    return Explain(policy.rule_text(pos), policy.where(pos), figure, detail,
                   regulation=policy.regulation(pos))


def _pos(item: ast.At[T] | None) -> ast.Pos | None:
    return item.pos if item is not None else None


def _build(policy: Policy, version: Version, name: str) -> DayPlan:
    profile = version.profiles.get(name)
    if profile is None:
        known = ", ".join(sorted(version.profiles))
        raise UnknownProfile(f"unknown profile '{name}' on {version.effective}+ (known: {known})")
    stamping = version.stamping
    rounding = stamping.rounding if stamping else None
    swipe = stamping.double_swipe if stamping else None
    direction = stamping.direction.value if stamping and stamping.direction else "alternate"
    meal = version.meal_voucher
    half = version.half_day
    tolerance = version.tolerance
    due = profile.due.value if profile.due else 0
    category = profile.category.value if profile.category else "stamping"
    explain_meal = _x(policy, _pos(meal.min_worked) if meal else None, "meal_voucher")
    return DayPlan(
        profile=name,
        days=frozenset(profile.days.value if profile.days else (1, 2, 3, 4, 5)),
        explain_days=_x(policy, _pos(profile.days), "due", "not a working day of the profile"),
        due=due,
        explain_due=_x(policy, _pos(profile.due), "due"),
        entry_from=profile.entry_from.value if profile.entry_from else None,
        entry_until=profile.entry_until.value if profile.entry_until else None,
        explain_entry=_x(policy, _pos(profile.entry_from), "worked"),
        explain_late=_x(policy, _pos(profile.entry_from), "unjustified"),
        last_stamp=profile.last_stamp.value if profile.last_stamp else None,
        explain_last_stamp=_x(policy, _pos(profile.last_stamp), "unjustified"),
        explain_credited_until=_x(policy, _pos(profile.last_stamp), "by_code"),
        explain_absent=_x(policy, _pos(profile.due), "unjustified"),
        scheduled_pause=profile.scheduled_pause.value if profile.scheduled_pause else 0,
        rounding=rounding.value if rounding else 0,
        explain_rounding=_x(policy, _pos(rounding), "stamps"),
        double_swipe=swipe.value if swipe else 0,
        explain_double_swipe=_x(policy, _pos(swipe), "stamps"),
        alternate=direction == "alternate",
        presence_only=category == "presence_only",
        pause=pause_plan(policy, version.pause_for(profile)),
        meal_min=meal.min_worked.value if meal and meal.min_worked else None,
        # `pause none` (shift work): no pause is owed, so none is required for the voucher.
        meal_requires_pause=bool(meal and meal.requires_regular_pause and not profile.no_pause),
        explain_meal=explain_meal,
        meal_notes=_meal_notes(explain_meal),
        codes={code: _code_plan(policy, version, c, name) for code, c in version.codes.items()},
        tolerance=tolerance.minutes if tolerance else 0,
        explain_tolerance=_x(policy, tolerance.pos if tolerance else None, "tolerated"),
        morning_credit=half.morning_credit.value if half and half.morning_credit else None,
        afternoon_work=half.afternoon_work.value if half and half.afternoon_work else None,
        explain_half_day=_x(policy, half.pos if half else None, "credited"),
        anomaly_fix=_when(version, "anomaly_fix"),
        missed_stamp=_when(version, "missed_stamp"),
        explain_excess=_x(policy, _pos(version.overtime.unauthorised if version.overtime
                                       else None), "worked"),
        count_until=profile.count_until.value if profile.count_until else None,
        explain_count_until=_x(policy, _pos(profile.count_until), "worked"),
    )


def _meal_notes(explain: Explain | None) -> tuple[Note, Note] | None:
    if explain is None:
        return None
    return (Note(explain, N.MEAL, (N.MEAL_NOT_EARNED,)), Note(explain, N.MEAL, (N.MEAL_EARNED,)))


def _when(version: Version, name: str) -> ast.When | None:
    deadline = version.deadlines.get(name)
    return deadline.when if deadline else None


def pause_plan(policy: Policy, pause: ast.Pause | None) -> PausePlan | None:
    if pause is None:
        return None
    return PausePlan(
        # `from 6h` owes a pause at 6h itself: in whole minutes, over 5h59.
        after=(pause.after.value - pause.after_inclusive if pause.after else 0),
        mandatory_over=pause.mandatory_over.value if pause.mandatory_over else None,
        min=pause.min.value if pause.min else 0,
        max=pause.max.value if pause.max else None,
        bands=tuple(
            BandPlan(b.start, b.end, b.last_exit, Explain(
                policy.rule_text(b.pos), policy.where(b.pos), "pause_deducted",
                regulation=policy.regulation(b.pos)))
            for b in pause.bands
        ),
        deduct_unstamped=pause.deduct_unstamped.value if pause.deduct_unstamped else 0,
        outside_band_code=pause.outside_band_code.value if pause.outside_band_code else None,
        inside_service=pause.inside_service is not None,
        explain_after=_step(policy, pause.after.pos if pause.after else pause.pos,
                            "pause_deducted"),
        explain_min=_x(policy, _pos(pause.min), "pause_deducted"),
        explain_deduct=_x(policy, _pos(pause.deduct_unstamped), "pause_deducted"),
        explain_mandatory=_x(policy, _pos(pause.mandatory_over), "pause_deducted"),
        explain_inside_service=_x(policy, _pos(pause.inside_service), "pause_deducted"),
        skipped_with=pause.skipped_with.value if pause.skipped_with else None,
        explain_skipped=_x(policy, _pos(pause.skipped_with), "pause_deducted"),
    )


def _code_plan(policy: Policy, version: Version, code: ast.CodeDef, profile: str) -> CodePlan:
    kind = code.kind.value if code.kind else "hourly_absence"
    allowance_name = code.allowance.value if code.allowance else None
    allowance = version.allowances.get(allowance_name) if allowance_name else None
    label = code.label.value if code.label else code.code
    waived = code.approval_except is not None and profile in code.approval_except.value
    day_cap = next((c for c in code.caps if c.period == "day"), None)
    forbidden = code.not_for is not None and profile in code.not_for.value
    return CodePlan(
        code=code.code,
        label=label,
        kind=kind,
        allowance=allowance_name,
        recover=bool(allowance and allowance.recover_by),
        approval=code.approval.value if code.approval and not waived else None,
        overtime=kind in OVERTIME_KINDS,
        explain=Explain(policy.rule_text(code.pos), policy.where(code.pos), "by_code", label,
                        regulation=policy.regulation(code.pos)),
        day_cap=day_cap.minutes if day_cap else None,
        explain_cap=_x(policy, day_cap.pos if day_cap else None, _CAPPED.get(kind, "credited")),
        forbidden=forbidden,
        special=day_cap is not None or forbidden,
    )


# The figure a code's minutes over its limit are taken from, by kind.
_CAPPED = {"service": "worked", "overtime_paid": "overtime_paid",
           "overtime_banked": "overtime_banked"}
