"""Typed syntax tree of a rule file.

Every node is a frozen dataclass that keeps where it was written, so the
engine can name `file:line` for each figure it produces. Durations and clock
times are integer minutes (a clock time is minutes since midnight).

`base` holds positions, `rules` the institution and its rule sections, `leave` the
leave in days, `account` the hours account carried month to month, `examples` the
`example` blocks; every node is importable from here (`from dsl import ast`).
"""

from dsl.ast.account import (
    Account as Account,
)
from dsl.ast.account import (
    CarryMonthly as CarryMonthly,
)
from dsl.ast.account import (
    KeepKind as KeepKind,
)
from dsl.ast.account import (
    Settle as Settle,
)
from dsl.ast.account import (
    SettleKind as SettleKind,
)
from dsl.ast.account import (
    YearEnd as YearEnd,
)
from dsl.ast.base import (
    At as At,
)
from dsl.ast.base import (
    Comment as Comment,
)
from dsl.ast.base import (
    Pos as Pos,
)
from dsl.ast.base import (
    Source as Source,
)
from dsl.ast.examples import (
    Example as Example,
)
from dsl.ast.examples import (
    Expectation as Expectation,
)
from dsl.ast.examples import (
    RequestLit as RequestLit,
)
from dsl.ast.examples import (
    StampLit as StampLit,
)
from dsl.ast.leave import (
    Entitlement as Entitlement,
)
from dsl.ast.leave import (
    Leave as Leave,
)
from dsl.ast.leave import (
    LeaveCap as LeaveCap,
)
from dsl.ast.leave import (
    LeaveCarry as LeaveCarry,
)
from dsl.ast.rules import (
    Allowance as Allowance,
)
from dsl.ast.rules import (
    Band as Band,
)
from dsl.ast.rules import (
    Cap as Cap,
)
from dsl.ast.rules import (
    CapPeriod as CapPeriod,
)
from dsl.ast.rules import (
    Choose as Choose,
)
from dsl.ast.rules import (
    CodeDef as CodeDef,
)
from dsl.ast.rules import (
    Cycle as Cycle,
)
from dsl.ast.rules import (
    CycleWeek as CycleWeek,
)
from dsl.ast.rules import (
    DayPattern as DayPattern,
)
from dsl.ast.rules import (
    Deadline as Deadline,
)
from dsl.ast.rules import (
    Deadlines as Deadlines,
)
from dsl.ast.rules import (
    Fee as Fee,
)
from dsl.ast.rules import (
    Flag as Flag,
)
from dsl.ast.rules import (
    HalfDay as HalfDay,
)
from dsl.ast.rules import (
    Holidays as Holidays,
)
from dsl.ast.rules import (
    Institution as Institution,
)
from dsl.ast.rules import (
    MealVoucher as MealVoucher,
)
from dsl.ast.rules import (
    MonteOre as MonteOre,
)
from dsl.ast.rules import (
    OnDays as OnDays,
)
from dsl.ast.rules import (
    Overtime as Overtime,
)
from dsl.ast.rules import (
    PasswordPolicy as PasswordPolicy,
)
from dsl.ast.rules import (
    Pause as Pause,
)
from dsl.ast.rules import (
    PeriodKind as PeriodKind,
)
from dsl.ast.rules import (
    Profile as Profile,
)
from dsl.ast.rules import (
    RuleFile as RuleFile,
)
from dsl.ast.rules import (
    RulesSection as RulesSection,
)
from dsl.ast.rules import (
    Shift as Shift,
)
from dsl.ast.rules import (
    Stamping as Stamping,
)
from dsl.ast.rules import (
    Statement as Statement,
)
from dsl.ast.rules import (
    Tolerance as Tolerance,
)
from dsl.ast.rules import (
    UnitBudget as UnitBudget,
)
from dsl.ast.rules import (
    When as When,
)
from dsl.ast.rules import (
    WhenKind as WhenKind,
)
from dsl.ast.rules import (
    WindowCap as WindowCap,
)
from dsl.ast.rules import (
    WorkingTime as WorkingTime,
)
