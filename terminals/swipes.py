"""What the simulated terminals swipe: planned stamps, either live (the terminal's clock,
each badge alternating in and out) or a realistic working day around an 08:00 peak."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Literal

from terminals.protocol import Direction

Profile = Literal["now", "peak"]


@dataclass(frozen=True)
class PlannedStamp:
    """One swipe to simulate. `time` None means the terminal's clock when it is sent."""

    terminal: str
    badge: str
    time: datetime | None = None
    direction: Direction | None = None
    code: str | None = None


def peak_day(badges: Sequence[str], day: date, tz: tzinfo,
             rng: random.Random) -> list[tuple[datetime, str, Direction]]:
    """One working day of swipes around an 08:00 peak, in time order.

    Most entries fall between 07:45 and 08:15. About a third of the staff
    leave around 14:00 (the school's 7h12 day); the others take a lunch pause
    and leave between 16:00 and 17:00.
    """
    start = datetime(day.year, day.month, day.day, tzinfo=tz)

    def at(minutes: float) -> datetime:
        return start + timedelta(seconds=round(minutes * 60))

    swipes: list[tuple[datetime, str, Direction]] = []
    for badge in badges:
        entry = min(max(rng.gauss(8 * 60, 9), 7 * 60 + 30), 8 * 60 + 45)
        swipes.append((at(entry), badge, "in"))
        if rng.random() < 0.35:
            swipes.append((at(14 * 60 + rng.gauss(12, 6)), badge, "out"))
        else:
            lunch = 12 * 60 + 30 + rng.uniform(0, 60)
            swipes.append((at(lunch), badge, "out"))
            swipes.append((at(lunch + rng.uniform(30, 60)), badge, "in"))
            swipes.append((at(rng.uniform(16 * 60, 17 * 60)), badge, "out"))
    swipes.sort()
    return swipes


def plan(badges: Mapping[str, Sequence[str]], total: int, *, profile: Profile, day: date | None,
         shift: timedelta, tz: tzinfo, rng: random.Random) -> list[PlannedStamp]:
    """`total` swipes spread over the badges of each terminal (`badges`: terminal -> badges).

    "now": stamps carry the terminal's clock at sending time plus `shift`
    (a negative shift dates them on a past day), each badge alternating in
    and out. "peak": working days of `peak_day`, the last one being `day`
    (yesterday by default, so none is in the future), as many days back as
    `total` needs, oldest first.
    """
    owner = {badge: name for name, listed in badges.items() for badge in listed}
    every = [badge for listed in badges.values() for badge in listed]
    if profile == "peak":
        days: list[list[tuple[datetime, str, Direction]]] = []
        current = day or (datetime.now(tz).date() - timedelta(days=1))
        count = 0
        while count < total:
            if current.weekday() < 5:
                days.append(peak_day(every, current, tz, rng))
                count += len(days[-1])
            current -= timedelta(days=1)
        swipes = [s for d in reversed(days) for s in d][:total]
        return [PlannedStamp(owner[b], b, t, d) for t, b, d in swipes]
    planned: list[PlannedStamp] = []
    inside: set[str] = set()
    for _ in range(total):
        badge = rng.choice(every)
        direction: Direction = "out" if badge in inside else "in"
        inside.symmetric_difference_update({badge})
        moment = datetime.now(tz) + shift if shift else None
        planned.append(PlannedStamp(owner[badge], badge, moment, direction))
    return planned
