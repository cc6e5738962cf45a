"""Capturing the service's JSON log lines in-process."""

import logging

import orjson

from kvapi.observability.logging import JsonFormatter


class JsonLines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def records(self) -> list[dict[str, object]]:
        return [orjson.loads(line) for line in self.lines]


def access_lines(captured: JsonLines) -> list[dict[str, object]]:
    return [r for r in captured.records() if r["logger"] == "kvapi.access"]
