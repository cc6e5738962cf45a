"""No token or stored value reaches a log line (or a rate-limit key) on the resilience paths:
429, 413 (declared, streamed, value size), 422, and a Redis outage with the limiter failing open.
test_logging.py covers the success, 401 and 403 paths."""

from collections.abc import Iterator

import redis

from testbed.logs import JsonLines
from testbed.redis import RedisProcess
from tests.conftest import MakeClient

TOKEN, VALUE = "tok-SECRET-4b3a2c", "VALUE-SECRET-7e6d5f"
AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
SETTINGS = {"write_tokens": TOKEN, "rate_limit_writes": "3/minute", "max_value_bytes": 64}


def streamed(body: bytes) -> Iterator[bytes]:
    yield body


def service_lines(captured: JsonLines) -> list[str]:
    # httpx is the test's own client and logs the URLs it calls
    return [line for line in captured.lines if '"logger":"httpx"' not in line]


def test_error_paths_log_no_secret(
    make_client: MakeClient, captured: JsonLines, redis_client: "redis.Redis[str]"
) -> None:
    client = make_client(**SETTINGS)
    statuses = [
        client.post(f"/write/k?value={VALUE}", headers=AUTH).status_code,
        client.put("/v1/keys/k", json={"value": VALUE * 10}, headers=AUTH).status_code,  # 413
        client.put("/v1/keys/bad%01", json={"value": VALUE}, headers=AUTH).status_code,
        client.post(f"/write/k?value={VALUE}", headers=AUTH).status_code,  # 429
    ]
    assert statuses == [200, 413, 422, 429]
    body = b'{"value": "' + VALUE.encode() * 10_000 + b'"}'
    small = make_client(write_tokens=TOKEN, max_body_bytes=1000)
    assert small.put("/v1/keys/k", content=body, headers=AUTH).status_code == 413
    assert small.put("/v1/keys/k", content=streamed(body), headers=AUTH).status_code == 413
    for line in service_lines(captured):
        assert TOKEN not in line and VALUE not in line, line
    assert not [key for key in redis_client.keys("*") if TOKEN in key]


def test_outage_paths_log_no_secret(
    make_client: MakeClient, captured: JsonLines, private_redis: RedisProcess
) -> None:
    client = make_client(redis_url=private_redis.url, redis_timeout_s=0.3, **SETTINGS)
    private_redis.stop()
    assert client.post(f"/write/k?value={VALUE}", headers=AUTH).status_code == 503
    assert client.put("/v1/keys/k", json={"value": VALUE}, headers=AUTH).status_code == 503
    events = {str(r["event"]) for r in captured.records()}
    assert {"redis unavailable", "rate limiter unavailable: failing open"} <= events
    for line in service_lines(captured):
        assert TOKEN not in line and VALUE not in line, line
