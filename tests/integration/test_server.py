"""The real `kvapi serve`: 2 gunicorn workers over HTTP, metrics summed, JSON-only output."""

import contextlib
import signal
import subprocess
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import orjson
import pytest

from kvapi.observability.metrics import FLUSH_EVERY_S
from testbed.metrics import value
from testbed.net import wait_until
from testbed.processes import KvapiProcess, kvapi_server

pytestmark = pytest.mark.slow  # real server processes: `make test-fast` leaves these out

TOKEN, SECRET_VALUE = "tok-9c8b7a-SECRET", "val-5d4e3f-SECRET"
MIN_REQUESTS = 200
BURST = 10  # concurrent connections: one worker busy with some leaves others to its sibling
KEY_ROUTE = "/v1/keys/{key}"


def access_pids(server: KvapiProcess) -> set[int]:
    return {int(r["pid"]) for r in server.log_records() if r["logger"] == "kvapi.access"}


def read_on_fresh_connections(server: KvapiProcess, count: int) -> None:
    def read(_: int) -> int:
        with urllib.request.urlopen(server.base_url + "/v1/keys/served") as response:
            return int(response.status)

    with ThreadPoolExecutor(count) as pool:
        assert list(pool.map(read, range(count))) == [200] * count


def spread_reads(server: KvapiProcess) -> int:
    """MIN_REQUESTS reads, then more, in bursts of concurrent fresh connections, until the
    access log shows both workers (how the kernel hands out connections is not ours to rely
    on: bursts only make a second worker likely, the loop makes it certain, within a bound).
    Returns how many reads were sent."""
    sent = 0

    def both_workers_served() -> bool:
        nonlocal sent
        read_on_fresh_connections(server, BURST)
        sent += BURST
        return sent >= MIN_REQUESTS and len(access_pids(server)) == 2

    wait_until(both_workers_served, 60, "reads served by both workers", every=0)
    return sent


def settled_metrics(http: httpx.Client, requests: int) -> str:
    """/metrics once both workers have flushed: each does so every FLUSH_EVERY_S, and the one
    answering the scrape at once, so the other's last requests can be that much late."""
    scrapes: list[str] = []

    def all_counted() -> bool:
        text = http.get("/metrics").text
        scrapes.append(text)
        return (
            value(text, "kvapi_kv_operations_total", operation="read", result="hit") == requests
            and value(text, "http_requests_total", method="GET", route=KEY_ROUTE, status="200")
            == requests
        )

    with contextlib.suppress(TimeoutError):  # the test's assertions then say what is missing
        wait_until(all_counted, 10 * FLUSH_EVERY_S, "both workers' metrics", every=0.2)
    return scrapes[-1]


@dataclass(frozen=True)
class Served:
    server: KvapiProcess
    reads: int  # GET /v1/keys/served, all answered 200
    metrics: str  # /metrics once every read is counted (or the wait ran out)


@pytest.fixture(scope="module")
def served(redis_url: str) -> Iterator[Served]:
    with kvapi_server(redis_url, workers=2, env={"KVAPI_WRITE_TOKENS": TOKEN}) as server:
        with httpx.Client(base_url=server.base_url) as http:
            auth = {"Authorization": f"Bearer {TOKEN}"}
            assert http.post(f"/write/served?value={SECRET_VALUE}", headers=auth).status_code == 200
            reads = spread_reads(server)
            yield Served(server, reads, settled_metrics(http, reads))
        exit_code = server.stop()
    assert exit_code == 0


def test_counters_add_up_across_workers(served: Served) -> None:
    text, reads = served.metrics, served.reads
    assert len(access_pids(served.server)) == 2  # so the sums below are over two processes
    got = value(text, "http_requests_total", method="GET", route=KEY_ROUTE, status="200")
    assert got == reads
    assert value(text, "kvapi_kv_operations_total", operation="read", result="hit") == reads


def test_every_output_line_is_json(served: Served) -> None:
    lines = served.server.log_lines()
    assert len(lines) > served.reads
    records = [orjson.loads(line) for line in lines]  # raises on any plain-text line
    loggers = {r["logger"] for r in records}
    assert {"kvapi.access", "gunicorn.error", "uvicorn.error", "kvapi.server"} <= loggers


def test_responses_name_no_server(served: Served) -> None:
    for path in ("/healthz", "/v1/keys/served", "/nowhere"):
        assert "server" not in httpx.get(served.server.base_url + path).headers, path


def test_secrets_and_values_never_logged(served: Served) -> None:
    text = served.server.log_path.read_text()
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


def test_each_worker_freezes_its_loaded_heap(served: Served) -> None:
    tuned = [r for r in served.server.log_records() if r["event"] == "garbage collector tuned"]
    assert len({r["pid"] for r in tuned}) == 2
    assert all(r["frozen_objects"] > 10_000 for r in tuned)
