"""The kvapi traffic mix for Locust, with the thresholds that decide pass or fail.

Mix (task weights, per 100 requests): reads 60 (`GET /` 30, `GET /v1/keys/{key}` 30), writes
with unique keys 30 (`PUT /v1/keys/{key}` 20, legacy `POST /write/{key}` 10), listing 3,
deletes 2, health 5. The profile (users, ramp, duration, thresholds) comes from a config file
in profiles/; the base URL from --host or KVAPI_LOAD_BASE_URL, the write token from
KVAPI_LOAD_TOKEN. Locust exits 1 when a threshold fails (checked at the end of the run).
"""

import logging
import os
import random
import time
import uuid
from typing import Any

import httpx
from locust import FastHttpUser, constant_throughput, events, task

log = logging.getLogger("kvapi.load")

TOKEN = os.environ.get("KVAPI_LOAD_TOKEN", "")
AUTH = {"Authorization": f"Bearer {TOKEN}"} if TOKEN else {}
KEY_PREFIX = "load-"
MAX_OWN_KEYS = 200  # each user reads back and deletes the keys it wrote


@events.init_command_line_parser.add_listener
def thresholds(parser: Any) -> None:
    add = parser.add_argument_group("kvapi thresholds").add_argument
    add("--max-p95-ms", type=float, default=500, help="95th percentile latency limit")
    add("--max-p99-ms", type=float, default=1000, help="99th percentile latency limit")
    add("--max-error-rate", type=float, default=0.01, help="failed share of requests")
    add("--min-rps", type=float, default=0, help="throughput floor once every user runs")
    add("--user-rps", type=float, default=5, help="requests per second of one user")


class Hold:
    """Throughput is judged from the moment every user runs: the ramp would dilute the rate."""

    stats: Any = None
    started_at: float | None = None
    requests_at_start = 0


@events.init.add_listener
def on_init(environment: Any, **_: Any) -> None:
    Hold.stats = environment.stats.total
    if not environment.host:
        environment.host = os.environ.get("KVAPI_LOAD_BASE_URL", "http://127.0.0.1:8000")


@events.spawning_complete.add_listener
def hold_starts(user_count: int, **_: Any) -> None:
    Hold.started_at = time.monotonic()
    Hold.requests_at_start = Hold.stats.num_requests


@events.test_start.add_listener
def seed_example_key(environment: Any, **_: Any) -> None:
    """`GET /` reads example_key: make sure it exists, as the original app's users did."""
    url = f"{environment.host}/write/example_key"
    httpx.post(url, params={"value": "hello"}, headers=AUTH).raise_for_status()


def verdicts(options: Any, total: Any) -> list[tuple[str, float, str, bool]]:
    """(what, measured, threshold, ok) for every threshold of the profile."""
    p95 = total.get_response_time_percentile(0.95)
    p99 = total.get_response_time_percentile(0.99)
    found = [
        ("error rate", total.fail_ratio, f"<= {options.max_error_rate}",
         total.fail_ratio <= options.max_error_rate),
        ("p95 ms", p95, f"<= {options.max_p95_ms}", p95 <= options.max_p95_ms),
        ("p99 ms", p99, f"<= {options.max_p99_ms}", p99 <= options.max_p99_ms),
        ("requests", total.num_requests, "> 0", total.num_requests > 0),
    ]  # fmt: skip
    if options.min_rps:
        held = time.monotonic() - Hold.started_at if Hold.started_at else 0.0
        rate = (total.num_requests - Hold.requests_at_start) / held if held else 0.0
        found.append(("req/s once all users run", rate, f">= {options.min_rps}",
                      rate >= options.min_rps))  # fmt: skip
    return found


@events.quitting.add_listener
def judge(environment: Any, **_: Any) -> None:
    found = verdicts(environment.parsed_options, environment.stats.total)
    for what, value, threshold, ok in found:
        log.info("%s %s = %.3f (threshold %s)", "PASS" if ok else "FAIL", what, value, threshold)
    if not all(ok for *_, ok in found):
        environment.process_exit_code = 1


class KvapiUser(FastHttpUser):
    def wait_time(self) -> float:
        return constant_throughput(self.environment.parsed_options.user_rps)(self)

    def on_start(self) -> None:
        self.own_keys: list[str] = []

    def new_key(self) -> str:
        return KEY_PREFIX + uuid.uuid4().hex

    def remember(self, key: str) -> None:
        self.own_keys.append(key)
        if len(self.own_keys) > MAX_OWN_KEYS:
            self.own_keys.pop(0)

    @task(30)
    def read_root(self) -> None:
        self.client.get("/")

    @task(30)
    def read_key(self) -> None:
        if not self.own_keys:
            self.put_key()
            return
        self.client.get(f"/v1/keys/{random.choice(self.own_keys)}", name="/v1/keys/{key}")

    @task(20)
    def put_key(self) -> None:
        key = self.new_key()
        with self.client.put(
            f"/v1/keys/{key}", json={"value": "v" * 32}, headers=AUTH,
            name="/v1/keys/{key} PUT", catch_response=True,
        ) as response:  # fmt: skip
            if response.status_code != 201:
                response.failure(f"expected 201 for a new key, got {response.status_code}")
                return
        self.remember(key)

    @task(10)
    def legacy_write(self) -> None:
        key = self.new_key()
        self.client.post(
            f"/write/{key}", params={"value": "v" * 32}, headers=AUTH, name="/write/{key}"
        )
        self.remember(key)

    @task(3)
    def list_keys(self) -> None:
        self.client.get("/v1/keys", params={"prefix": KEY_PREFIX, "limit": 50}, name="/v1/keys")

    @task(2)
    def delete_key(self) -> None:
        if not self.own_keys:
            return
        key = self.own_keys.pop()
        self.client.delete(f"/v1/keys/{key}", headers=AUTH, name="/v1/keys/{key} DELETE")

    @task(5)
    def health(self) -> None:
        self.client.get("/healthz")
