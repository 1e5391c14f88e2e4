"""Hook specifications: everything a timbra plugin may implement.

Hooks are grouped by the moment in the lifecycle when the core calls them. Every hook is
documented in docs/plugins.md and has a test; tests/plugins/test_hookspecs.py checks all three.
The core's own defaults are plugins too (``server.plugins.DEFAULT_PLUGINS``), so a plugin
replaces a default the same way it adds anything else.
"""

from collections.abc import Mapping
from datetime import date
from typing import Protocol

import pluggy
from sqlalchemy.orm import Session

from dsl.ast import RuleFile
from server.institutions import InstitutionSpec

hookspec = pluggy.HookspecMarker("timbra")
hookimpl = pluggy.HookimplMarker("timbra")


# --- Registration ---------------------------------------------------------------------------
# Called whenever the core lists the installed institutions, before anything is computed.


@hookspec
def timbra_institutions() -> list[InstitutionSpec]:
    """Return the institutions this plugin provides.

    Every plugin's answer is collected. Each institution id must be unique across all
    installed plugins; a duplicate makes :func:`server.plugins.institutions` raise
    :class:`server.plugins.PluginError` naming both plugins.
    """


# --- Loading an institution's rules ---------------------------------------------------------
# Called once per institution and process, the first time its installed policy is needed.


@hookspec(firstresult=True)
def timbra_rule_file(spec: InstitutionSpec) -> RuleFile | None:
    """Return the parsed and checked rule file of ``spec``, or ``None`` to leave it to others.

    The first answer that is not ``None`` wins. The core's default (``server.policy.load``,
    registered ``trylast``) parses ``spec.rule_file`` and checks it; a plugin implements this
    hook only to give a rule file from somewhere else. Whatever the answer, its
    ``institution`` block must match ``spec.id`` and ``spec.name``, or loading the policy
    raises :class:`dsl.errors.RuleError` naming both.
    """


# --- An employee's schedule -----------------------------------------------------------------
# Called whenever days are evaluated (a month, a recompute), once per batch of employees.


class DaySchedule(Protocol):
    """What the engine needs of an employee's day: ``server.engine.Schedule`` is one.

    ``profile`` names a profile of the rules in force that day; ``chosen`` the ISO weekdays
    (1 = Monday) the employee's record chooses (afternoon returns, a vertical part time's
    days); ``shift`` the rota's shift of the day, or ``None``."""

    @property
    def profile(self) -> str: ...

    @property
    def chosen(self) -> frozenset[int]: ...

    @property
    def shift(self) -> str | None: ...


@hookspec(firstresult=True)
def timbra_employee_schedules(
    session: Session, institution_id: str, employees: Mapping[int, str], first: date,
    last: date,
) -> Mapping[int, Mapping[date, DaySchedule]] | None:
    """Return the schedule of each of ``employees`` (employee id → number, the matricola) on
    the days from ``first`` to ``last`` (inclusive) where it is not their base profile, or
    ``None`` to leave it to others.

    The first answer that is not ``None`` wins, so a plugin that answers replaces the
    core's default (``server.days.schedules``, registered ``trylast``: the periods and the
    rota the office keeps in the database). A day missing from the answer follows the
    employee's base profile (``Employee.profile``) with no chosen days and no shift. Answer
    with ``server.engine.Schedule`` objects. Called with up to thousands of employees at
    once: read them in one go. ``session`` is the core's database session, to read the
    core's tables; it must not be written to.
    """
