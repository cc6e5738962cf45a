"""The access log: one JSON line per request, written in batches without logging's machinery
(or, with KVAPI_LOG_FORMAT=console or on a terminal, one line for a person: console.py).

A `logging.Logger.info` call builds a LogRecord, walks the logger hierarchy, takes the
handler's lock and flushes stdout once per request: most of what the access line used to cost.
Here the line is the same JSON object the JsonFormatter would write (same fields, same order),
serialized by orjson and buffered; the buffer goes to stdout when it holds about a pipe's
atomic write (PIPE_BUF) or every FLUSH_EVERY_S (the app's lifespan runs the timer), and on
shutdown. Each write to stdout holds whole lines and at most PIPE_BUF bytes, so the lines of
several workers sharing one pipe never interleave mid-line. The level is still the
`kvapi.access` logger's (KVAPI_LOG_LEVEL): the lines are INFO.
"""

import asyncio
import atexit
import logging
import select
import sys
import time
from collections.abc import Callable
from typing import Any, Literal

import orjson

from kvapi.observability.logging import JsonFormatter, current_pid, rfc3339

# Renders an access line for a person (console.py) from the line's dict and its epoch time.
Renderer = Callable[[dict[str, Any], float], str]

FLUSH_EVERY_S = 0.1
CHUNK_BYTES = select.PIPE_BUF
LOGGER = "kvapi.access"

Tap = Callable[[str], None]


class AccessLog:
    def __init__(self) -> None:
        self._logger = logging.getLogger(LOGGER)
        self._lines: list[bytes] = []
        self._size = 0
        # In-process readers of every line (the tests' log capture), called as it is written.
        self.taps: list[Tap] = []
        self._console: Renderer | None = None  # None: JSON, the format of the image and pods

    def use_format(self, log_format: Literal["json", "console"]) -> None:
        from kvapi.observability.console import ConsoleRenderer, colour_wanted

        self._console = ConsoleRenderer(colour_wanted()).line if log_format == "console" else None

    def enabled(self) -> bool:
        return self._logger.isEnabledFor(logging.INFO)  # cached by logging until a level changes

    def write(self, request_id: str, fields: dict[str, Any]) -> None:
        now = time.time()
        trace_id, span_id = JsonFormatter.trace_ids()
        doc = {
            "timestamp": rfc3339(now),
            "level": "info",
            "logger": LOGGER,
            "event": "request",
            "request_id": request_id,
            "trace_id": trace_id,
            "span_id": span_id,
            "pid": current_pid(),
            **fields,
        }
        if self._console is None:
            line = orjson.dumps(doc, default=str, option=orjson.OPT_APPEND_NEWLINE)
        else:
            line = (self._console(doc, now) + "\n").encode()
        for tap in self.taps:
            tap(line[:-1].decode())
        self._lines.append(line)
        self._size += len(line)
        if self._size >= CHUNK_BYTES:
            self.flush()

    def flush(self) -> None:
        if not self._lines:
            return
        lines, self._lines, self._size = self._lines, [], 0
        stream = sys.stdout
        stream.flush()  # lines other loggers left in the text buffer go first
        out = getattr(stream, "buffer", None)
        chunk: list[bytes] = []
        size = 0
        for line in lines:
            if chunk and size + len(line) > CHUNK_BYTES:
                self._emit(stream, out, b"".join(chunk))
                chunk, size = [], 0
            chunk.append(line)
            size += len(line)
        self._emit(stream, out, b"".join(chunk))

    @staticmethod
    def _emit(stream: Any, out: Any, data: bytes) -> None:
        if out is None:  # a text-only stdout (a test's capture)
            stream.write(data.decode())
            stream.flush()
        else:
            out.write(data)
            out.flush()


access_log = AccessLog()  # one per process: stdout is per process
atexit.register(access_log.flush)


async def flush_periodically() -> None:
    while True:
        await asyncio.sleep(FLUSH_EVERY_S)
        access_log.flush()
