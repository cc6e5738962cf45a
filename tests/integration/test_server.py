"""The real `kvapi serve`: 2 gunicorn workers over HTTP, metrics summed, JSON-only output."""

import contextlib
import signal
import subprocess
import urllib.request

import httpx
import orjson
import pytest

from kvapi.observability.metrics import FLUSH_EVERY_S
from testbed.metrics import value
from testbed.net import wait_until
from testbed.processes import KvapiProcess, kvapi_server

TOKEN, SECRET_VALUE = "tok-9c8b7a-SECRET", "val-5d4e3f-SECRET"
REQUESTS = 200
KEY_ROUTE = "/v1/keys/{key}"


def settled_metrics(http: httpx.Client) -> str:
    """/metrics once both workers have flushed: each does so every FLUSH_EVERY_S, and the one
    answering the scrape at once, so the other's last requests can be that much late."""
    scrapes: list[str] = []

    def all_counted() -> bool:
        text = http.get("/metrics").text
        scrapes.append(text)
        return (
            value(text, "kvapi_kv_operations_total", operation="read", result="hit") == REQUESTS
            and value(text, "http_requests_total", method="GET", route=KEY_ROUTE, status="200")
            == REQUESTS
        )

    with contextlib.suppress(TimeoutError):  # the test's assertions then say what is missing
        wait_until(all_counted, 10 * FLUSH_EVERY_S, "both workers' metrics", every=0.2)
    return scrapes[-1]


@pytest.fixture(scope="module")
def served(redis_url: str):  # type: ignore[no-untyped-def]
    with kvapi_server(redis_url, workers=2, env={"KVAPI_WRITE_TOKENS": TOKEN}) as server:
        with httpx.Client(base_url=server.base_url) as http:
            auth = {"Authorization": f"Bearer {TOKEN}"}
            assert http.post(f"/write/served?value={SECRET_VALUE}", headers=auth).status_code == 200
            for _ in range(REQUESTS):
                # a fresh connection each time, so the kernel spreads them over both workers
                with urllib.request.urlopen(server.base_url + "/v1/keys/served") as response:
                    assert response.status == 200
            yield server, settled_metrics(http)
        exit_code = server.stop()
    assert exit_code == 0


def test_counters_add_up_across_workers(served: tuple[KvapiProcess, str]) -> None:
    server, text = served
    got = value(text, "http_requests_total", method="GET", route=KEY_ROUTE, status="200")
    assert got == REQUESTS
    assert value(text, "kvapi_kv_operations_total", operation="read", result="hit") == REQUESTS
    pids = {r["pid"] for r in server.log_records() if r["logger"] == "kvapi.access"}
    assert len(pids) == 2, "both workers should have served requests"


def test_every_output_line_is_json(served: tuple[KvapiProcess, str]) -> None:
    server, _ = served
    lines = server.log_lines()
    assert len(lines) > REQUESTS
    records = [orjson.loads(line) for line in lines]  # raises on any plain-text line
    loggers = {r["logger"] for r in records}
    assert {"kvapi.access", "gunicorn.error", "uvicorn.error", "kvapi.server"} <= loggers


def test_secrets_and_values_never_logged(served: tuple[KvapiProcess, str]) -> None:
    server, _ = served
    text = server.log_path.read_text()
    assert TOKEN not in text and SECRET_VALUE not in text


def test_embedded_redis_serves_and_stops_with_the_service() -> None:
    with kvapi_server(None, workers=1) as server:
        assert httpx.post(server.base_url + "/write/example_key?value=hello").status_code == 200
        assert httpx.get(server.base_url + "/").json() == {"message": "hello"}
        started = [r for r in server.log_records() if r["event"] == "embedded redis started"]
        port = str(started[0]["redis_url"]).rsplit(":", 1)[1]
        assert server.stop(signal.SIGINT) == 0
    leftovers = subprocess.run(["pgrep", "-f", f"valkey-server.*{port}"], capture_output=True)
    assert leftovers.stdout == b"", "the embedded server outlived the service"


def test_each_worker_freezes_its_loaded_heap(served: tuple[KvapiProcess, str]) -> None:
    server, _ = served
    tuned = [r for r in server.log_records() if r["event"] == "garbage collector tuned"]
    assert len({r["pid"] for r in tuned}) == 2
    assert all(r["frozen_objects"] > 10_000 for r in tuned)
