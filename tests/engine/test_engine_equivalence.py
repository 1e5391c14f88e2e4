"""The engine's results, explanations included, match those recorded before it was sped up.

`tests/data/engine_reference.json.gz` holds the results of the engine as it was
before the fast paths (commit 8ea868f), regenerated deliberately for the
engine fixes of issue 9 (that commit lists what changed) and for issue 11's limits
(branch `limits`: a whole-day overtime request no longer credits the due, the
university's pause is due from 6h, the school's unauthorised excess is not credited,
the academy's new code PS changes its random draws; branch `desk`: the chamber's
catalogue of codes changes its draws, the other institutions' entries are unchanged; issue
16's leave codes FER, FS, SW and PR change the draws of the university, the school and the
academy, and stamps carry only the codes a terminal takes), and for issue 11's sources
(branch `rules`: the plugins' rule files gained `source` lines, so the steps cite new line
numbers, and each step carries its `regulation`; mapped back to the old lines and without
that key, all 3,600 days and 24 months were equal), for seeded random
days and months of all four institutions: every profile, every rule version, holidays and weekends,
codes of every kind typed at the terminal or requested, unknown codes, missing
and doubled stamps, stamps out of order or without direction, overtime.
The same seed regenerates the same inputs here, so a faster engine must give
byte-for-byte the same JSON. Regenerate (only for a deliberate change of
behaviour) with `python tests/engine/test_engine_equivalence.py --write`.
"""

from __future__ import annotations

import gzip
import json
import random
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from server.engine import DayResult, MonthResult, Request, Stamp, evaluate_day, evaluate_month
from server.engine.inputs import Schedule
from server.engine.month import Opening
from server.policy.load import load_policy
from server.policy.model import Policy, Version

REFERENCE = Path(__file__).parents[1] / "data" / "engine_reference.json.gz"
INSTITUTIONS = ("university", "school", "academy", "chamber")
DAYS_PER_INSTITUTION = 900
MONTHS_PER_INSTITUTION = 6
SEED = 20260302


def _date_in(rng: random.Random, policy: Policy) -> tuple[date, int]:
    index = rng.randrange(len(policy.versions))
    start = policy.versions[index].effective
    end = (policy.versions[index + 1].effective if index + 1 < len(policy.versions)
           else start + timedelta(days=900))
    return start + timedelta(days=rng.randrange((end - start).days)), index


def _code(rng: random.Random, codes: list[str]) -> str:
    return rng.choice(codes) if rng.random() < 0.93 else rng.choice(["99", "ZZ", "x"])


def _stamps(rng: random.Random, codes: list[str]) -> list[Stamp]:
    shape = rng.random()
    entry = rng.randint(400, 600)
    if shape < 0.05:
        return []
    if shape < 0.15:
        times = [entry, entry + rng.randint(300, 560)]
    elif shape < 0.22:
        times = sorted(rng.randint(380, 1200) for _ in range(rng.randint(1, 7)))
    elif shape < 0.4:  # close to the day's due: margins and short pauses
        out = rng.randint(700, 800)
        back = out + rng.randint(25, 35)
        times = [entry, out, back, entry + rng.randint(425, 440) + back - out]
    else:
        out = rng.randint(650, 930)
        back = out + rng.choice([rng.randint(5, 150), rng.randint(25, 50)])
        times = [entry, out, back, back + rng.randint(60, 330)]
        if rng.random() < 0.15:  # an errand in the morning
            leave = rng.randint(entry + 30, out - 10)
            times[1:1] = [leave, min(out - 1, leave + rng.randint(0, 120))]
        if rng.random() < 0.1:  # stays for overtime after a break
            times += [times[-1] + rng.randint(0, 30), times[-1] + rng.randint(40, 200)]
    stamps: list[Stamp] = []
    for index, minute in enumerate(times):
        r = rng.random()
        direction: Any = ("in", "out")[index % 2] if r < 0.93 else (
            None if r < 0.98 else ("out", "in")[index % 2])
        code = _code(rng, codes) if codes and rng.random() < 0.12 else None
        source = "declared" if rng.random() < 0.03 else "terminal"
        stamps.append(Stamp(minute, direction, code, source))
        if rng.random() < 0.04:  # double swipe
            stamps.append(Stamp(minute + rng.randint(0, 2), direction, None, source))
    if rng.random() < 0.05:
        rng.shuffle(stamps)
    return stamps


def _requests(rng: random.Random, codes: list[str]) -> list[Request]:
    requests: list[Request] = []
    while codes and rng.random() < 0.2:
        code = _code(rng, codes)
        if rng.random() < 0.4:
            requests.append(Request(code))
        else:
            start = rng.randint(420, 1000)
            requests.append(Request(code, start, start + rng.randint(0, 240)))
    return requests


def _schedule(rng: random.Random, version: Version, name: str) -> Schedule:
    """The employee's schedule: for a profile that lets days be chosen, most often days
    that fit, sometimes none (an anomaly)."""
    profile = version.profiles[name]
    choice = profile.choose or profile.contract_days
    if choice is None or rng.random() < 0.2:
        return Schedule(name)
    return Schedule(name, frozenset(rng.sample(choice.among, choice.count)))


def typed(version: Version) -> list[str]:
    """The codes a terminal takes: one only entered on the web is never on a stamp."""
    return sorted(c for c, d in version.codes.items()
                  if d.entered is None or "terminal" in d.entered.value)


def day_cases() -> list[tuple[str, Schedule, date, list[Stamp], list[Request]]]:
    rng = random.Random(SEED)
    cases = []
    for name in INSTITUTIONS:
        policy = load_policy(name)
        for _ in range(DAYS_PER_INSTITUTION):
            day, index = _date_in(rng, policy)
            version = policy.versions[index]
            profile = _schedule(rng, version, rng.choice(sorted(version.profiles)))
            codes = sorted(version.codes)
            cases.append((name, profile, day, _stamps(rng, typed(version)),
                          _requests(rng, codes)))
    return cases


def month_cases() -> list[tuple[str, Schedule, int, int, dict[date, list[Stamp]],
                                dict[date, list[Request]], Opening]]:
    rng = random.Random(SEED + 1)
    cases = []
    for name in INSTITUTIONS:
        policy = load_policy(name)
        for _ in range(MONTHS_PER_INSTITUTION):
            first, index = _date_in(rng, policy)
            version = policy.versions[index]
            profile = _schedule(rng, version, rng.choice(sorted(version.profiles)))
            codes = sorted(version.codes)
            year, month = first.year, first.month
            days = [date(year, month, 1) + timedelta(days=n) for n in range(31)]
            days = [d for d in days if d.month == month]
            stamps = {d: _stamps(rng, typed(version)) for d in days if rng.random() < 0.8}
            requests = {d: _requests(rng, codes) for d in days if rng.random() < 0.3}
            used = {a: rng.randint(0, 2000) for a in version.allowances if rng.random() < 0.5}
            flags = frozenset(rng.sample(["benefit_art_1_6", "other"], rng.randint(0, 2)))
            cases.append((name, profile, year, month, stamps, requests, Opening(used, flags)))
    return cases


def day_snapshot(result: DayResult) -> dict[str, Any]:
    """Everything a day result exposes, not only what `to_json` prints."""
    return {**_worded(result.to_json()), "working_day": result.working_day,
            "regular_pause": result.regular_pause,
            "allowance_used": dict(result.allowance_used)}


def month_snapshot(result: MonthResult) -> dict[str, Any]:
    return {**_worded(result.to_json()), "days": [day_snapshot(d) for d in result.days]}


def _worded(out: dict[str, Any]) -> dict[str, Any]:
    """Steps and anomalies as the reference has them: their English words. The message
    ids and arguments that say them in any language came later; that they word the same
    English is tests/engine/test_engine_wording.py's."""
    drop = ("message_id", "args")
    for key in ("explain", "anomalies"):
        if key in out:
            out[key] = [{k: v for k, v in item.items() if k not in drop} for item in out[key]]
    return out


def compute() -> dict[str, list[Any]]:
    days = [day_snapshot(evaluate_day(load_policy(n), p, d, s, q))
            for n, p, d, s, q in day_cases()]
    months = [month_snapshot(evaluate_month(load_policy(n), p, y, m, s, q, o))
              for n, p, y, m, s, q, o in month_cases()]
    return {"days": days, "months": months}


@pytest.fixture(scope="module")
def reference() -> dict[str, list[Any]]:
    with gzip.open(REFERENCE, "rt", encoding="utf-8") as f:
        data: dict[str, list[Any]] = json.load(f)
    return data


@pytest.fixture(scope="module")
def current() -> dict[str, list[Any]]:
    # Through JSON, so that both sides have the same types (tuples become lists).
    data: dict[str, list[Any]] = json.loads(json.dumps(compute()))
    return data


def test_cases_exercise_the_interesting_paths(reference: dict[str, list[Any]]) -> None:
    days = reference["days"]
    assert len(days) == DAYS_PER_INSTITUTION * len(INSTITUTIONS)
    anomalies = {a["code"] for d in days for a in d["anomalies"]}
    assert {"unpaired_stamps", "not_alternating", "pause_outside_band", "needs_approval",
            "unknown_code", "absent"} <= anomalies
    assert sum(1 for d in days if not d["working_day"]) > 100
    for figure in ("pause_deducted", "credited", "unjustified", "tolerated", "to_recover",
                   "overtime_paid", "overtime_banked"):
        assert sum(1 for d in days if d[figure]) > 10, figure


def test_days_are_unchanged(reference: dict[str, list[Any]],
                            current: dict[str, list[Any]]) -> None:
    cases = day_cases()
    assert len(current["days"]) == len(reference["days"])
    for case, now, before in zip(cases, current["days"], reference["days"], strict=True):
        assert now == before, case


def test_months_are_unchanged(reference: dict[str, list[Any]],
                              current: dict[str, list[Any]]) -> None:
    assert len(current["months"]) == len(reference["months"])
    for index, (now, before) in enumerate(zip(current["months"], reference["months"],
                                              strict=True)):
        assert now == before, month_cases()[index][:4]


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    payload = json.dumps(compute(), ensure_ascii=False, separators=(",", ":"))
    with gzip.GzipFile(REFERENCE, "wb", compresslevel=9, mtime=0) as out:
        out.write(payload.encode("utf-8"))
    print(f"{REFERENCE}: {REFERENCE.stat().st_size} bytes")
