"""Run the examples written inside a rule file (`timbra rules test`)."""

from __future__ import annotations

from dataclasses import dataclass

from dsl import ast
from dsl.formatter import duration
from server.engine.day import evaluate_day
from server.engine.inputs import Request, Schedule, Stamp
from server.engine.results import DayResult
from server.policy.compile import compile_policy
from server.policy.model import Policy


@dataclass(frozen=True)
class Outcome:
    example: ast.Example
    failures: tuple[str, ...]
    result: DayResult | None

    @property
    def passed(self) -> bool:
        return not self.failures


def run_examples(rule_file: ast.RuleFile) -> list[Outcome]:
    policy = compile_policy(rule_file)
    return [_run(policy, example) for example in rule_file.examples]


def _run(policy: Policy, example: ast.Example) -> Outcome:
    if example.profile is None or example.date is None:
        return Outcome(example, (f"{example.pos}: an example needs a profile and a date",), None)
    stamps = [Stamp(s.minute, s.direction, s.code) for s in example.stamps]
    requests = [Request(q.code, q.start, q.end) for q in example.requests]
    chosen = frozenset(example.chosen.value) if example.chosen else frozenset()
    shift = example.shift.value if example.shift else None
    schedule = Schedule(example.profile.value, chosen, shift)
    try:
        result = evaluate_day(policy, schedule, example.date.value, stamps, requests)
    except LookupError as exc:
        return Outcome(example, (f"{example.pos}: {exc}",), None)
    failures = tuple(
        f"{exp.pos}: {problem}"
        for exp in example.expectations
        if (problem := _compare(exp, result)) is not None
    )
    return Outcome(example, failures, result)


def _compare(exp: ast.Expectation, result: DayResult) -> str | None:
    if exp.kind == "minutes":
        got = int(getattr(result, exp.name))
        return None if got == exp.minutes else (
            f"expected {exp.name} {hm(exp.minutes)}, got {hm(got)}")
    if exp.kind == "bool":
        flag = bool(getattr(result, exp.name))
        return None if flag == exp.flag else (
            f"expected {exp.name} {_yes(exp.flag)}, got {_yes(flag)}")
    if exp.kind == "code":
        got = result.by_code.get(exp.name, 0)
        return None if got == exp.minutes else (
            f"expected code {exp.name} {hm(exp.minutes)}, got {hm(got)}")
    found = [a.code for a in result.anomalies]
    if exp.kind == "anomaly":
        return None if exp.name in found else (
            f"expected anomaly {exp.name}, got {', '.join(found) or 'none'}")
    return None if not found else f"expected no anomalies, got {', '.join(found)}"


def hm(minutes: int) -> str:
    """Minutes as the language writes them: 7h15m, 30m, -1h."""
    return ("-" if minutes < 0 else "") + duration(abs(minutes))


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"
