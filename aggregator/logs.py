"""Logging set-up: readable lines by default, JSON lines for log shippers.

Both formatters redact credentials (user-info, `?token=`, `?key=`, ...) from every URL in a line, its JSON
fields and its traceback: feed URLs reach the log from many modules, so it is done once, here.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from aggregator.urls import redact_text


def _redacted(value: Any) -> Any:
    return redact_text(value) if isinstance(value, str) else value


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact_text(super().format(record))


class JsonLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        payload.update(getattr(record, "fields", {}))
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps({key: _redacted(value) for key, value in payload.items()}, ensure_ascii=False)


def setup_logging(level: str = "WARNING", json_lines: bool = False) -> None:
    handler = logging.StreamHandler()
    if json_lines:
        handler.setFormatter(JsonLineFormatter())
    else:
        handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Library chatter (trafilatura's per-page warnings, Datasette's access log) stays one level quieter.
    for noisy in ("trafilatura", "htmldate", "courlan", "charset_normalizer", "asyncio", "apscheduler"):
        logging.getLogger(noisy).setLevel(max(logging.getLevelName(level), logging.WARNING) + 10)
