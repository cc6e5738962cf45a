"""JSON logs: one object per line on stdout, for the service, gunicorn and uvicorn alike (or, with
KVAPI_LOG_FORMAT, one line for a person per event: console.py)."""

import contextvars
import functools
import logging
import os
import sys
import time
from collections.abc import Callable
from typing import Any, Literal

import orjson

LogFormat = Literal["auto", "json", "console"]  # KVAPI_LOG_FORMAT

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)

TraceIds = Callable[[], tuple[str | None, str | None]]


def no_trace() -> tuple[None, None]:
    return None, None


@functools.lru_cache(maxsize=2)
def utc_second(second: int) -> str:
    """strftime is most of a timestamp's cost and changes once a second: every access line and
    log record of that second shares it."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))


@functools.cache
def current_pid() -> int:
    """os.getpid() is a system call per log line; the answer changes only in a forked child."""
    return os.getpid()


os.register_at_fork(after_in_child=current_pid.cache_clear)


def rfc3339(epoch: float) -> str:
    millis = int(epoch * 1000) % 1000
    return utc_second(int(epoch)) + f".{millis:03d}Z"


class JsonFormatter(logging.Formatter):
    """Fields fixed by DESIGN.md; `extra={"fields": {...}}` adds more."""

    trace_ids: TraceIds = staticmethod(no_trace)

    def format(self, record: logging.LogRecord) -> str:
        return orjson.dumps(self.document(record), default=str).decode()

    def document(self, record: logging.LogRecord) -> dict[str, Any]:
        """The record as the dict every format renders (console.py writes it for a person)."""
        trace_id, span_id = self.trace_ids()
        doc: dict[str, Any] = {
            "timestamp": rfc3339(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
            "request_id": request_id_var.get(),
            "trace_id": trace_id,
            "span_id": span_id,
            "pid": current_pid(),
        }
        fields = getattr(record, "fields", None)
        if fields:
            doc.update(fields)
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return doc


def logging_config(level: str, log_format: LogFormat = "json") -> dict[str, Any]:
    """A dictConfig for every logger of the process; gunicorn takes it as logconfig_dict.

    log_format is KVAPI_LOG_FORMAT: json, console, or auto (console on a terminal)."""
    from kvapi.observability.console import resolve

    handler = {
        "class": "logging.StreamHandler",
        "formatter": resolve(log_format),
        "stream": "ext://sys.stdout",
    }
    quiet = {"handlers": [], "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {"()": JsonFormatter},
            "console": {"()": "kvapi.observability.console.ConsoleFormatter"},
        },
        "handlers": {"stdout": handler},
        "root": {"level": level, "handlers": ["stdout"]},
        "loggers": {
            # The uvicorn worker copies gunicorn.error's handlers onto uvicorn.error, so it needs
            # its own; the servers' access logs are off because the service writes a richer one.
            "gunicorn.error": {"level": level, "handlers": ["stdout"], "propagate": False},
            "uvicorn.error": {"level": level, "handlers": ["stdout"], "propagate": False},
            "gunicorn.access": quiet,
            "uvicorn.access": quiet,
        },
    }


def configure_logging(level: str, log_format: LogFormat = "json") -> None:
    import logging.config

    from kvapi.observability.access import access_log
    from kvapi.observability.console import resolve

    logging.config.dictConfig(logging_config(level, log_format))
    access_log.use_format(resolve(log_format))
    logging.captureWarnings(True)
    sys.excepthook = log_uncaught


def log_uncaught(*exc_info: Any) -> None:
    logging.getLogger("kvapi").critical("uncaught exception", exc_info=exc_info)
