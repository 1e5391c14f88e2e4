"""Logs as one JSON object per line, each naming the request it belongs to.

`configure_logging("json")` sets the root handler; the request id comes from a context
variable that the web's request middleware sets (and anyio copies into worker threads), so
a line logged deep inside a service still says which request it was. A person who sees a
500 page quotes the id it shows; the operator finds every line of that request with it.
"""

from __future__ import annotations

import json
import logging
import logging.config
import os
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

REQUEST_ID: ContextVar[str | None] = ContextVar("timbra_request_id", default=None)
FORMATS = ("json", "text")
TEXT_FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"
# Attributes every LogRecord has; anything else was passed with `extra=` and is kept.
# uvicorn adds `color_message`, the same message with terminal colours.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "color_message"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        request_id = REQUEST_ID.get()
        if request_id:
            line["request_id"] = request_id
        line.update({k: v for k, v in vars(record).items()
                     if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def log_format(default: str = "text") -> str:
    """TIMBRA_LOG_FORMAT, `json` or `text`; anything else is refused at start."""
    chosen = os.environ.get("TIMBRA_LOG_FORMAT") or default
    if chosen not in FORMATS:
        raise ValueError(f"TIMBRA_LOG_FORMAT must be json or text, not {chosen!r}")
    return chosen


def formatter(fmt: str) -> logging.Formatter:
    """The formatter of `fmt`. Python's warnings become log lines in it from now on: a
    library's warning at import would otherwise be a raw line among the JSON ones."""
    logging.captureWarnings(True)
    return JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT)


def logging_config(fmt: str, level: int | str = logging.INFO) -> dict[str, Any]:
    """One handler on the root logger, to stderr (journald keeps it under systemd), as a
    `dictConfig`: uvicorn applies it in each worker before the app is imported."""
    return {
        "version": 1, "disable_existing_loggers": False,
        "formatters": {"timbra": {"()": f"{__name__}.formatter", "fmt": fmt}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "timbra",
                                "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"],
                 "level": os.environ.get("TIMBRA_LOG_LEVEL") or level},
        # Every readiness probe opens a migration context, which says so at INFO.
        "loggers": {"alembic.runtime.migration": {"level": "WARNING"}},
    }


def configure_logging(fmt: str, level: int | str = logging.INFO) -> None:
    logging.config.dictConfig(logging_config(fmt, level))
