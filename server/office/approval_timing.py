"""When a request may be filed and decided, and whose requests need no decision: a code's
`approval WHO [prior D] [within D] [except profile, …]` as the office enforces it.

- `prior [D]`: prior authorisation (seed 003: "Il lavoro straordinario deve essere
  preventivamente autorizzato"; seed 004 art. 3: uscite "preventivamente indicate ... ed
  autorizzate"): the request is filed before the time it covers starts, D earlier with a
  lead time. A whole day starts at 00:00.
- `within D`: the decision comes at the latest D after the time it covers ends (a whole day
  ends at 24:00); later, an approval is refused and the request can only be rejected.
- `except p, …`: employees of those profiles need nobody's decision (seed 004 art. 3: "eccetto
  quelle disposte per l'affidamento di incarichi rientranti nelle mansioni del personale
  coadiutore"): their request counts as filed, like a code without `approval`.

Times are the institution's local time. The personnel office may still file late (it records
what was authorised on paper); the audit entry says so.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dsl import ast
from server.errors import OfficeError
from server.minutes import hours


def approver(info: ast.CodeDef, profile: str) -> str | None:
    """Who must decide a request of this code for an employee of `profile` (None: nobody)."""
    if info.approval is None:
        return None
    waived = info.approval_except
    return None if waived is not None and profile in waived.value else info.approval.value


def local(now: datetime, timezone: str) -> datetime:
    return now.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)


def filed_late(info: ast.CodeDef, profile: str, day: date, start: int | None,
               local_now: datetime) -> datetime | None:
    """The moment a prior authorisation had to be asked by, when it is past; else None."""
    prior = info.approval_prior
    if prior is None or approver(info, profile) is None:
        return None
    by = datetime.combine(day, time()) + timedelta(minutes=(start or 0) - prior.value)
    return by if local_now > by else None


def refuse_late_filing(by: datetime, code: str, lead: int) -> OfficeError:
    ahead_it = f", con {hours(lead)} di anticipo" if lead else ""
    ahead_en = f", {hours(lead)} ahead" if lead else ""
    return OfficeError(
        f"Il codice {code} richiede l'autorizzazione preventiva{ahead_it}: andava chiesta "
        f"entro il {by:%d/%m/%Y %H:%M}",
        f"Code {code} needs prior authorisation{ahead_en}: it had to be asked by "
        f"{by:%Y-%m-%d %H:%M}", field="day")


def check_decision_time(info: ast.CodeDef, day: date, end: int | None,
                        local_now: datetime) -> None:
    """Refuse an approval given after the code's `within` deadline."""
    within = info.approval_within
    if within is None:
        return
    by = datetime.combine(day, time()) + timedelta(minutes=(24 * 60 if end is None else end)
                                                   + within.value)
    if local_now > by:
        raise OfficeError(
            f"Termine scaduto: il codice {info.code} andava approvato entro il "
            f"{by:%d/%m/%Y %H:%M} ({hours(within.value)} dopo); si può solo rifiutare",
            f"Too late: code {info.code} had to be approved by {by:%Y-%m-%d %H:%M} "
            f"({hours(within.value)} after); it can only be rejected", field="decision_note")
