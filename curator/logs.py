"""Logging for the command line: stdlib ``logging`` under the ``curator`` logger, text or JSON lines.

The library only creates loggers (``logging.getLogger(__name__)``); the CLI calls ``setup_logging``
once, so a script that imports curator keeps control of its own handlers. JSON lines carry the
structured fields a progress line logs (``extra={"stage": ..., "rows": ...}``), for log shippers.
"""

from __future__ import annotations

import datetime
import json
import logging
import sys
from typing import Any, Literal, TextIO

LogFormat = Literal["text", "json"]

# Attributes every LogRecord has; anything else on a record came from ``extra=`` and is data.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, and any extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.timezone.utc).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``2026-01-02 10:00:00 info curator.progress: length: 12,000/52,002 rows …`` (local time)."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        record.levelname = record.levelname.lower()
        return super().format(record)


def setup_logging(
    fmt: LogFormat = "text", level: int | str = logging.INFO, stream: TextIO | None = None
) -> None:
    """Send the ``curator`` logger (and Python warnings) to stderr in ``fmt``; idempotent."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.set_name("curator-cli")
    for name in ("curator", "py.warnings"):
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if h.get_name() == "curator-cli"]:
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.setLevel(level)
    logging.captureWarnings(True)  # warnings.warn(...) in stages becomes a log line, in the same format
