"""The threaded load generator of the tests: a few client threads on loopback, each pacing its
requests, every result kept.

Each request carries its own X-Request-ID, so a result can be matched with the service's
access log line: that is how the tests tell a request the service accepted from one that never
reached it. Load stays small (threads x 1/pause_s requests per second at most) because the
machine has 2 cores shared with everything else. bench/ measures throughput with wrk instead.
"""

import itertools
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx

from testbed.net import wait_until

THREADS = 4
PAUSE_S = 0.01

# (method, path with its query string, body: a dict is sent as JSON, bytes as they are)
Request = tuple[str, str, dict[str, str] | bytes | None]
# The n-th request of a thread: plan(thread, n)
Plan = Callable[[int, int], Request]


@dataclass(frozen=True)
class Result:
    started: float  # time.monotonic()
    finished: float
    method: str
    path: str
    request_id: str
    status: int | None  # None when no HTTP response came back
    error: str | None
    retry_after: str | None = None  # the Retry-After header, if any

    @property
    def seconds(self) -> float:
        return self.finished - self.started

    @property
    def ok(self) -> bool:
        return self.status is not None and self.status < 500


@dataclass
class Load:
    base_url: str
    plan: Plan
    timeout_s: float = 10.0
    keep_alive: bool = True
    pause_s: float = PAUSE_S
    results: list[Result] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _client(self) -> httpx.Client:
        limits = httpx.Limits(max_keepalive_connections=1 if self.keep_alive else 0)
        return httpx.Client(base_url=self.base_url, timeout=self.timeout_s, limits=limits)

    def _run(self, thread: int) -> None:
        with self._client() as client:
            for n in itertools.count():
                if self._stop.is_set():
                    return
                method, path, body = self.plan(thread, n)
                request_id = uuid.uuid4().hex
                started = time.monotonic()
                status, error, retry_after = None, None, None
                content, json = (body, None) if isinstance(body, bytes) else (None, body)
                try:
                    response = client.request(
                        method,
                        path,
                        content=content,
                        json=json,
                        headers={"X-Request-ID": request_id},
                    )
                    status, retry_after = response.status_code, response.headers.get("Retry-After")
                except httpx.HTTPError as exc:
                    error = type(exc).__name__
                result = Result(
                    started, time.monotonic(), method, path, request_id, status, error, retry_after
                )
                with self._lock:
                    self.results.append(result)
                time.sleep(self.pause_s)

    def wait_for(self, count: int, since: float = 0.0, timeout: float = 30) -> None:
        """Until `count` requests started at or after `since` (time.monotonic()) have a result:
        a phase of a test lasts a number of requests, not a number of seconds."""
        wait_until(lambda: len(self.between(since)) >= count, timeout, f"{count} load results")

    def between(self, start: float, end: float = float("inf")) -> list[Result]:
        """The results of requests started in [start, end)."""
        with self._lock:
            return [r for r in self.results if start <= r.started < end]


@contextmanager
def running(load: Load, threads: int = THREADS) -> Iterator[Load]:
    workers = [threading.Thread(target=load._run, args=(t,), daemon=True) for t in range(threads)]
    for worker in workers:
        worker.start()
    try:
        yield load
    finally:
        load._stop.set()
        for worker in workers:
            worker.join(timeout=load.timeout_s + 5)


def read_write(thread: int, n: int) -> Request:
    """Alternate writes and reads of a few keys per thread."""
    key = f"load-{thread}-{n % 5}"
    if n % 2:
        return "GET", f"/v1/keys/{key}", None
    return "PUT", f"/v1/keys/{key}", {"value": f"{thread}:{n}"}


def _mixed_round(i: int) -> list[Request]:
    key = f"k{i % 40}"
    calls: list[Request] = [
        ("PUT", f"/v1/keys/{key}", {"value": "v" * (1 + i % 200)}),
        ("GET", f"/v1/keys/{key}", None),  # hit
        ("GET", f"/v1/keys/missing-{i}", None),  # miss, 404
        ("GET", "/v1/keys?limit=10", None),
        ("POST", f"/write/legacy{i % 5}?value={i}", None),
        ("GET", "/", None),
    ]
    if i % 5 == 0:
        calls.append(("DELETE", f"/v1/keys/k{(i + 20) % 40}", None))
        calls.append(("PUT", f"/v1/keys/{key}", b"not json"))  # 422
    return calls


MIXED_CYCLE = [call for i in range(40) for call in _mixed_round(i)]


def mixed(thread: int, n: int) -> Request:
    """Every route of the service, hits, misses and client errors: traffic for dashboards."""
    return MIXED_CYCLE[n % len(MIXED_CYCLE)]


def outcomes(results: list[Result]) -> dict[str, int]:
    """How many results had each status ("200", ...) or, without a response, each error."""
    counted: dict[str, int] = {}
    for r in results:
        name = str(r.status) if r.status is not None else str(r.error)
        counted[name] = counted.get(name, 0) + 1
    return dict(sorted(counted.items()))


def summary(results: list[Result]) -> dict[str, object]:
    """Counts by outcome and the slowest request, for the report and the docs."""
    return {
        "requests": len(results),
        "outcomes": outcomes(results),
        "max_seconds": round(max((r.seconds for r in results), default=0.0), 3),
    }
