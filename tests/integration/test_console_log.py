"""The console log format in the app and in the real `kvapi serve` on a terminal: one line per
request with what a person reads, and still no token, value or /write query string."""

import re
from collections.abc import Iterator

import httpx
import pytest

from kvapi.observability.access import access_log
from testbed.logs import JsonLines
from testbed.net import wait_until
from testbed.processes import kvapi_server
from tests.conftest import MakeClient

TOKEN, VALUE = "tok-SECRET-5e4d3c", "VALUE-SECRET-2b1a0f"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
# time, level, method, path, status, duration, request id (colours stripped: plain_lines)
ACCESS_LINE = re.compile(
    r"\d\d:\d\d:\d\d\.\d{3} INFO  (?P<method>[A-Z]+) (?P<path>\S+) (?P<status>\d{3}) "
    r"\d+\.\d ms  (?P<request_id>[\w.:-]+)"
)


def plain_lines(lines: list[str]) -> list[str]:
    return [re.sub(r"\x1b\[[\d;]*m", "", line) for line in lines]


def drive_secrets(client: httpx.Client) -> None:
    """A write with its value in the query string, refused and accepted, a JSON write, a read."""
    client.post(f"/write/k?value={VALUE}", headers=AUTH)
    client.post(f"/write/k?value={VALUE}")  # 401
    client.put("/v1/keys/k", json={"value": VALUE}, headers=AUTH)
    client.get("/v1/keys/k", headers={"X-Request-ID": "console-1"})


@pytest.fixture
def console_access_log(captured: JsonLines) -> Iterator[None]:
    """Access lines in the console format on stdout (`captured` turns INFO on)."""
    access_log.use_format("console")
    yield
    access_log.use_format("json")


def test_app_writes_one_console_line_per_request_without_secrets(
    make_client: MakeClient, console_access_log: None, capfd: pytest.CaptureFixture[str]
) -> None:
    client = make_client(write_tokens=TOKEN)
    drive_secrets(client)
    access_log.flush()
    out = capfd.readouterr().out
    lines = plain_lines(out.splitlines())
    assert [
        (m["method"], m["path"], m["status"]) for m in map(ACCESS_LINE.fullmatch, lines) if m
    ] == [
        ("POST", "/write/k", "200"),
        ("POST", "/write/k", "401"),
        ("PUT", "/v1/keys/k", "200"),
        ("GET", "/v1/keys/k", "200"),
    ]
    assert lines[-1].endswith("console-1")
    assert TOKEN not in out and VALUE not in out and "value=" not in out
    assert "{" not in out  # no JSON line among them


@pytest.mark.slow
def test_serve_on_a_terminal_logs_console_lines(redis_url: str) -> None:
    """KVAPI_LOG_FORMAT unset (auto) and stdout a pseudo-terminal, as under `make up`."""
    with kvapi_server(
        redis_url, workers=1, env={"KVAPI_WRITE_TOKENS": TOKEN}, terminal=True
    ) as server:
        with httpx.Client(base_url=server.base_url) as http:
            drive_secrets(http)

        def logged_last_request() -> bool:
            return any(line.endswith("console-1") for line in plain_lines(server.log_lines()))

        wait_until(logged_last_request, 10, "the access line of the last request")
        assert server.stop() == 0
        lines = plain_lines(server.log_lines())
        text = server.log_path.read_text()
    assert TOKEN not in text and VALUE not in text and "value=" not in text
    assert not [line for line in lines if line.startswith("{")], "JSON on a terminal"
    requests = [m["path"] for line in lines if (m := ACCESS_LINE.fullmatch(line))]
    assert requests.count("/write/k") == 2 and "/v1/keys/k" in requests
    assert any(" kvapi listening  url=http://127.0.0.1:" in line for line in lines)
