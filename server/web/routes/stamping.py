"""Timbra / Stamp: the ENTRATA / USCITA buttons of seed 000's "RILEVATORE", and stamping
from a phone inside an area the office has drawn (seed 002).

Which of the two is allowed is the rule file's `stamping { sources ... }` on the day:
`web` for the workstation, `app` for the phone. A phone's stamp carries the position once;
it is checked against the areas and not kept. The page has one pair of buttons: the
phone's where the rules allow `app` without `web`, the workstation's otherwise. The rules
are `server.office.stamping`; this module turns the buttons and the API into its calls.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from litestar import get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery, JSONBody
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from server.errors import OfficeError
from server.i18n.current import gettext
from server.minutes import clock
from server.office.stamping import allowed_sources, stamp_now, stamps_today
from server.web.dependencies import AuthUser, DbSession
from server.web.errors import status_of
from server.web.guards import EMPLOYEE, MANAGER, OFFICE, allow
from server.web.identity import CurrentUser
from server.web.office_calls import acting_user
from server.web.routing import together
from server.web.wording import source_label

STAMPERS = allow(EMPLOYEE, MANAGER, OFFICE)


@dataclass
class StampForm:
    direction: str = ""
    latitude: str = ""  # filled by the page's script only when stamping from the phone
    longitude: str = ""


@dataclass
class StampIn:
    direction: str  # in, out
    latitude: float | None = None  # both or neither: with them it is a phone ("app") stamp
    longitude: float | None = None


@dataclass(frozen=True)
class StampDone:
    day: str
    time: str
    direction: str
    source: str  # web, app


def _position(latitude: str | float | None, longitude: str | float | None,
              ) -> tuple[float, float] | None:
    if latitude in (None, "") and longitude in (None, ""):
        return None
    try:
        position = (float(latitude or "nan"), float(longitude or "nan"))
    except ValueError:
        position = (math.nan, math.nan)
    return position


def _page(db: Session, user: CurrentUser, *, done: str | None = None,
          error: OfficeError | None = None, status_code: int = 200) -> Template:
    now = datetime.now(UTC)
    today: list[str] = []
    if user.employee_id is not None:
        today = [f"{clock(s.minute)} {gettext(s.direction or '—')} · {source_label(s.source)}"
                 for s in stamps_today(db, user.employee_id, user.institution_id, now)]
    return Template("stamp.html", status_code=status_code, context={
        "allowed": allowed_sources(db, user.institution_id, now),
        "own": user.employee_id is not None, "today": today, "done": _done(done),
        "error": error})


def _done(done: str | None) -> str | None:
    """`in 08:03` from the redirect, in the reader's words (`entrata 08:03`); anything else
    in the query is not shown."""
    direction, _, time = (done or "").partition(" ")
    if direction not in ("in", "out") or not re.fullmatch(r"\d\d:\d\d", time):
        return None
    return f"{gettext(direction)} {time}"


@get("/stamp", opt=STAMPERS, sync_to_thread=True)
def stamp_page(db: DbSession, user: AuthUser, done: FromQuery[str | None] = None) -> Template:
    """RILEVATORE: the two buttons, and today's stamps so far."""
    return _page(db, user, done=done)


@post("/stamp", opt=STAMPERS, sync_to_thread=True)
def stamp_form(db: DbSession, user: AuthUser,
               data: Annotated[StampForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
               ) -> Template | Redirect:
    try:
        with db.begin_nested():
            row = stamp_now(db, acting_user(db, user), data.direction,
                            _position(data.latitude, data.longitude), datetime.now(UTC))
    except OfficeError as error:
        return _page(db, user, error=error, status_code=status_of(error))
    return Redirect(f"/stamp?done={row.direction}+{clock(row.local_minute)}", status_code=303)


@post("/api/v1/stamps", opt=STAMPERS, sync_to_thread=True)
def stamp_api(db: DbSession, user: AuthUser, data: JSONBody[StampIn]) -> StampDone:
    """Stamp now: without a position from the workstation (rules must allow `web`), with
    `latitude`/`longitude` from a phone inside an area (rules must allow `app`; with `app`
    and without `web` a stamp without the position is refused). 403 when not allowed or
    outside; the position is not stored."""
    row = stamp_now(db, acting_user(db, user), data.direction,
                    _position(data.latitude, data.longitude), datetime.now(UTC))
    return StampDone(row.local_date.isoformat(), clock(row.local_minute), data.direction,
                     row.source)


ROUTES = together(stamp_page, stamp_form, stamp_api, tag="Stamping")
