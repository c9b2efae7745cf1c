"""One JSON object per line on stdout, for every logger (ours, uvicorn's, psycopg's)."""

import json
import logging
import os
import sys
from datetime import UTC, datetime

_RESERVED = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "color_message"}


class JsonFormatter(logging.Formatter):
    def __init__(self, static: dict | None = None):
        super().__init__()
        self.static = static or {}

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            **self.static,
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in _RESERVED})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def setup_logging(level: str = "INFO", worker: int | None = None) -> None:
    """`worker`: the index of a worker process (API_WORKERS > 1), added to each line with its pid."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter({"worker": worker, "pid": os.getpid()} if worker is not None else None))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)


def uvicorn_log_config() -> dict:
    """Tell uvicorn to leave logging alone: setup_logging() owns it."""
    return {"version": 1, "disable_existing_loggers": False}
