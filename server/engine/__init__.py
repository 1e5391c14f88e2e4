"""The pure engine: (policy, schedule, date, stamps, approved requests) -> results.

Nothing here reads a clock, a file or a database.
"""

from server.engine.day import evaluate_day
from server.engine.inputs import Request, Schedule, Stamp
from server.engine.month import evaluate_month
from server.engine.results import Anomaly, DayResult, Explain, MonthResult

__all__ = [
    "Anomaly",
    "DayResult",
    "Explain",
    "MonthResult",
    "Request",
    "Schedule",
    "Stamp",
    "evaluate_day",
    "evaluate_month",
]
