"""The checker's rules for the `account` block: what the ledger needs to be told and the
profiles its `year_end` lines name. Called by `dsl.checker` with the profiles the sections
so far define."""

from __future__ import annotations

from collections.abc import Callable, Collection

from dsl import ast
from dsl.errors import M, one_of
from dsl.formatter import duration

Error = Callable[..., None]


def check_account(error: Error, account: ast.Account, profiles: Collection[str]) -> None:
    if account.carry_monthly is None:
        error(account.pos, M("an account that is not carried holds nothing from month to month"),
              M("add: carry monthly"), word="account")
    elif account.carry_monthly.max is not None and account.carry_monthly.max <= 0:
        error(account.carry_monthly.pos, M("a carried credit is capped above 0 minutes"),
              M("remove 'max', or write a positive duration"), word="max")
    when = account.recover_by
    if when is not None and when.kind in {"next_day_at", "within_time"}:
        error(when.pos, M("a month's debt falls due on a day, not at an hour"),
              M("write: recover_by end of next_month"))
    if when is not None and when.kind == "open_ended" and account.not_recovered is not None:
        error(when.pos, M("'recover_by open' gives no date, so 'not_recovered' never happens"),
              M("give a date: recover_by end of next_month"), word="open")
    if when is not None and when.kind != "open_ended" and account.not_recovered is None:
        error(when.pos, M("the debt falls due, but nothing says what happens then"),
              M("add: not_recovered deduct (or use leave ferie, or anomaly)"))
    _year_end(error, account.year_end, profiles)


def _year_end(error: Error, lines: tuple[ast.YearEnd, ...], profiles: Collection[str]) -> None:
    seen: dict[str, int] = {}
    for y in lines:
        if y.keep == "max" and y.minutes <= 0:
            error(y.pos, M("'carry max {}' keeps nothing", duration(y.minutes)), M("write: expire"),
                  word="max")
        for name in y.profiles or ("",):
            if name and name not in profiles:
                error(y.pos, M("unknown profile '{}'", name), one_of(name, set(profiles)),
                      word=name)
            if name in seen:
                what = M("profile '{}'", name) if name else M("the profiles no line names")
                error(y.pos, M("two year_end lines for {}", what),
                      M("the first is at line {}; keep one", seen[name]), word="year_end")
            seen.setdefault(name, y.pos.line)
