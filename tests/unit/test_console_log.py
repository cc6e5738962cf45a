"""KVAPI_LOG_FORMAT: which format a stream gets, and what a console line shows."""

import io
import logging
import re
import sys

import pytest
from pydantic import ValidationError

from kvapi.observability.console import ConsoleFormatter, ConsoleRenderer, colour_wanted, resolve
from kvapi.settings import Settings

ESC = "\x1b"
ACCESS = {
    "timestamp": "2026-11-29T12:04:05.123Z", "level": "info", "logger": "kvapi.access",
    "event": "request", "request_id": "req-42", "trace_id": None, "span_id": None, "pid": 7,
    "method": "GET", "route": "/v1/keys/{key}", "path": "/v1/keys/a", "status": 404,
    "duration_ms": 1.234, "client_ip": "10.0.0.9", "user_agent": "probe/1", "bytes": 28,
}  # fmt: skip


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("setting", "stream", "expected"),
    [
        ("auto", Terminal(), "console"),
        ("auto", io.StringIO(), "json"),
        ("json", Terminal(), "json"),
        ("console", io.StringIO(), "console"),
    ],
)
def test_auto_is_console_only_on_a_terminal(
    setting: str, stream: io.StringIO, expected: str
) -> None:
    assert resolve(setting, stream) == expected  # type: ignore[arg-type]


def test_colour_only_on_a_terminal_without_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert colour_wanted(Terminal()) and not colour_wanted(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not colour_wanted(Terminal())


def test_setting_defaults_to_auto_and_refuses_other_formats(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("KVAPI_LOG_FORMAT", raising=False)
    assert Settings().log_format == "auto"
    monkeypatch.setenv("KVAPI_LOG_FORMAT", "Console")
    assert Settings().log_format == "console"
    monkeypatch.setenv("KVAPI_LOG_FORMAT", "text")
    with pytest.raises(ValidationError):
        Settings()


def test_access_line_is_short_and_has_what_a_person_reads() -> None:
    line = ConsoleRenderer(colour=False).line(ACCESS, 0.123)
    assert re.fullmatch(r"\d\d:\d\d:\d\d\.123 INFO  GET /v1/keys/a 404 1\.2 ms  req-42", line)
    assert "probe/1" not in line and "10.0.0.9" not in line  # the JSON keeps those


def test_colours_by_level_and_status_class() -> None:
    painted = ConsoleRenderer(colour=True)
    assert f"{ESC}[33m404" in painted.line(ACCESS, 0)  # 4xx yellow
    assert f"{ESC}[31m503" in painted.line(ACCESS | {"status": 503}, 0)  # 5xx red
    assert f"{ESC}[32m200" in painted.line(ACCESS | {"status": 200}, 0)
    warning = painted.line(ACCESS | {"logger": "kvapi", "level": "warning", "event": "x"}, 0)
    assert f"{ESC}[33mWARN" in warning
    assert ESC not in ConsoleRenderer(colour=False).line(ACCESS, 0)


def test_control_characters_of_a_path_are_escaped() -> None:
    """A path arrives percent-decoded: %1b and %0a must neither paint nor forge a line."""
    line = ConsoleRenderer(colour=False).line(ACCESS | {"path": "/v1/keys/\x1b[2J\nFAKE"}, 0)
    assert ESC not in line and "\n" not in line
    assert "/v1/keys/\\x1b[2J\\nFAKE" in line


def test_other_events_show_their_fields_and_traceback() -> None:
    formatter = ConsoleFormatter()
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = logging.LogRecord(
            "kvapi", logging.ERROR, __file__, 1, "failed", None, sys.exc_info()
        )
    record.fields = {"reason": "timeout"}
    first, *rest = formatter.format(record).splitlines()
    assert re.fullmatch(r"\d\d:\d\d:\d\d\.\d{3} ERROR failed  reason=timeout", first)
    assert rest[0].startswith("Traceback") and rest[-1] == "RuntimeError: boom"
