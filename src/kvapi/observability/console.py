"""Log lines for a person at a terminal: one short line per event, coloured when it is a terminal.

The same records as the JSON lines (logging.py builds both from one dict), rendered as
`12:04:05.123 INFO  GET /v1/keys/a 200 1.2 ms  a1b2c3d4` for a request and
`12:04:05.123 INFO  kvapi listening  url=http://127.0.0.1:8000` for anything else. Only the
fields named here are shown for a request: the others (user agent, client address) stay in the
JSON, and what never reaches the JSON (tokens, values, the query string of /write) is not in
the dict either. KVAPI_LOG_FORMAT picks the format; `auto` is console on a terminal, else JSON.
"""

import logging
import os
import sys
import time
from typing import Any, Literal, TextIO

from kvapi.observability.logging import JsonFormatter, LogFormat

RESET = "\x1b[0m"
DIM = "\x1b[2m"
LEVEL_COLOURS = {
    "debug": "\x1b[2m",
    "info": "\x1b[32m",
    "warning": "\x1b[33m",
    "error": "\x1b[31m",
    "critical": "\x1b[1;31m",
}
STATUS_COLOURS = {2: "\x1b[32m", 3: "\x1b[36m", 4: "\x1b[33m", 5: "\x1b[31m"}
# Fields every record carries: shown in their own place, or (trace ids, pid) left to the JSON.
FIXED = frozenset(
    {"timestamp", "level", "logger", "event", "request_id", "trace_id", "span_id", "pid"}
)
NOT_EXTRA = FIXED | {"exception"}  # the traceback goes on the lines below
ACCESS_LOGGER = "kvapi.access"


def resolve(log_format: LogFormat, stream: TextIO | None = None) -> Literal["json", "console"]:
    """`auto`: console when the stream (stdout) is a terminal, JSON otherwise (image, pods)."""
    if log_format != "auto":
        return log_format
    stream = stream or sys.stdout
    return "console" if stream.isatty() else "json"


def colour_wanted(stream: TextIO | None = None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    return (stream or sys.stdout).isatty() and not os.environ.get("NO_COLOR")


def printable(value: object) -> str:
    """A path is percent-decoded, so a request can put ESC and newlines in it: escaped here, they
    can neither paint the terminal nor forge a line."""
    text = str(value)
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


def local_time(epoch: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(epoch)) + f".{int(epoch * 1000) % 1000:03d}"


class ConsoleRenderer:
    def __init__(self, colour: bool) -> None:
        self.colour = colour

    def _paint(self, colour: str, text: str) -> str:
        return f"{colour}{text}{RESET}" if self.colour else text

    def line(self, doc: dict[str, Any], epoch: float) -> str:
        level = str(doc["level"])
        head = (
            self._paint(DIM, local_time(epoch))
            + " "
            + self._paint(LEVEL_COLOURS.get(level, ""), f"{level.upper():<5}")
        )
        if doc["logger"] == ACCESS_LOGGER:
            status = int(doc["status"])
            return (
                f"{head} {doc['method']} {printable(doc['path'])} "
                + self._paint(STATUS_COLOURS.get(status // 100, ""), str(status))
                + f" {doc['duration_ms']:.1f} ms  "
                + self._paint(DIM, str(doc["request_id"]))
            )
        extra = [f"{key}={printable(value)}" for key, value in doc.items() if key not in NOT_EXTRA]
        if doc.get("request_id"):
            extra.append(self._paint(DIM, str(doc["request_id"])))
        text = f"{head} {printable(doc['event'])}" + ("  " + " ".join(extra) if extra else "")
        exception = doc.get("exception")
        return f"{text}\n{exception}" if exception else text


class ConsoleFormatter(JsonFormatter):
    """The logging side (gunicorn, uvicorn and the service's own loggers) of the console format."""

    def __init__(self) -> None:
        super().__init__()
        self.renderer = ConsoleRenderer(colour_wanted())

    def format(self, record: logging.LogRecord) -> str:
        return self.renderer.line(self.document(record), record.created)
