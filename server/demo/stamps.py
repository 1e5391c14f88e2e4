"""Made-up but plausible stamps, the same at every run (a seeded generator)."""

from __future__ import annotations

import random
from datetime import date

from server.engine import Stamp


def demo_stamps(year: int, month: int, seed: str, service: str | None) -> dict[date, list[Stamp]]:
    rng = random.Random(seed)
    stamps: dict[date, list[Stamp]] = {}
    day = date(year, month, 1)
    while day.month == month:
        if day.isoweekday() <= 5:
            stamps[day] = _day(rng, service)
        day = date.fromordinal(day.toordinal() + 1)
    return stamps


def _day(rng: random.Random, service: str | None) -> list[Stamp]:
    entry = rng.randint(455, 545)
    roll = rng.random()
    if roll < 0.06:  # forgot to stamp the lunch pause
        return [Stamp(entry, "in"), Stamp(entry + rng.randint(430, 470), "out")]
    out = rng.randint(720, 790)
    back = out + rng.randint(30, 55)
    end = entry + 7 * 60 + 12 + (back - out) + rng.randint(-20, 40)
    if roll < 0.14 and service:  # leaves early on a service errand
        return [Stamp(entry, "in"), Stamp(out, "out"), Stamp(back, "in"),
                Stamp(end - 75, "out", service)]
    return [Stamp(entry, "in"), Stamp(out, "out"), Stamp(back, "in"), Stamp(end, "out")]
