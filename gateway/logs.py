"""Structured logs: one JSON object per line, carrying the id of the request being served."""

from __future__ import annotations

import json
import logging
import logging.config
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from typing import Any

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

# Attributes every LogRecord has; anything else on a record came from `extra=` and is logged.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "taskName"}


def bind_request_id(request_id: str) -> Token[str | None]:
    """Make `request_id` the id logged by this request's thread until reset."""
    return _request_id.set(request_id)


def reset_request_id(token: Token[str | None]) -> None:
    """Forget the request id bound by bind_request_id."""
    _request_id.reset(token)


def current_request_id() -> str | None:
    """The id of the request being served, if any."""
    return _request_id.get()


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to records logged while a request is served."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Annotate, never drop."""
        if getattr(record, "request_id", None) is None:
            record.request_id = _request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """time, level, logger, message, request_id, any `extra=` fields, and the exception."""

    def format(self, record: logging.LogRecord) -> str:
        """One line of JSON."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or _request_id.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry and key != "request_id":
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def logging_config(level: str = "INFO", fmt: str = "json") -> dict[str, Any]:
    """A dictConfig sending every logger (gunicorn's too) to stderr in the chosen format."""
    formatter: dict[str, Any] = (
        {"()": JsonFormatter} if fmt == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"})
    handler = {"class": "logging.StreamHandler", "formatter": "gateway",
               "filters": ["request_id"], "stream": "ext://sys.stderr"}
    quiet = {"level": "WARNING"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"gateway": formatter},
        "handlers": {"stderr": handler},
        "root": {"level": level.upper(), "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": level.upper(), "handlers": [], "propagate": True},
            # The app logs every request itself, with its id and timings.
            "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
            "botocore": quiet, "boto3": quiet, "urllib3": quiet, "alembic": quiet,
        },
    }


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    """Apply logging_config to this process."""
    logging.config.dictConfig(logging_config(level, fmt))
