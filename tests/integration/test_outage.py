"""Redis outages: fast 503s, never a hang or a 500, and recovery without a restart."""

import time

import pytest
from fastapi.testclient import TestClient

from testbed.net import wait_until
from testbed.redis import RedisProcess
from tests.conftest import MakeClient

TIMEOUT_S = 0.5
REQUESTS = [
    ("get", "/", None),
    ("get", "/v1/keys/k", None),
    ("put", "/v1/keys/k", {"value": "v"}),
    ("post", "/write/k?value=v", None),
    ("delete", "/v1/keys/k", None),
    ("get", "/v1/keys", None),
    ("get", "/readyz", None),
]


def assert_fast_503s(client: TestClient) -> None:
    for method, path, body in REQUESTS:
        started = time.monotonic()
        response = client.request(method, path, json=body)
        elapsed = time.monotonic() - started
        assert response.status_code == 503, (path, response.text)
        assert response.json()["detail"] == "Redis unavailable"
        assert elapsed < TIMEOUT_S * 3, (path, elapsed)
    legacy = client.get("/health")
    assert (legacy.status_code, legacy.json()) == (
        503,
        {"status": "unhealthy", "redis": "disconnected"},
    )
    assert client.get("/healthz").status_code == 200  # liveness never depends on Redis


@pytest.fixture
def outage_client(make_client: MakeClient, private_redis: RedisProcess) -> TestClient:
    client = make_client(redis_url=private_redis.url, redis_timeout_s=TIMEOUT_S)
    assert client.put("/v1/keys/k", json={"value": "before"}).status_code == 201
    return client


def test_stopped_redis_gives_fast_503_then_recovers(
    outage_client: TestClient, private_redis: RedisProcess
) -> None:
    private_redis.stop()
    assert_fast_503s(outage_client)
    private_redis.start()
    wait_until(lambda: outage_client.get("/readyz").status_code == 200, 5, "recovery")
    assert outage_client.put("/v1/keys/k", json={"value": "after"}).status_code in (200, 201)
    assert outage_client.get("/v1/keys/k").json()["value"] == "after"


def test_frozen_redis_times_out_into_503(
    outage_client: TestClient, private_redis: RedisProcess
) -> None:
    private_redis.pause()
    try:
        assert_fast_503s(outage_client)
    finally:
        private_redis.resume()
    assert outage_client.get("/v1/keys/k").json()["value"] == "before"


def test_metrics_still_answer_during_an_outage(
    outage_client: TestClient, private_redis: RedisProcess
) -> None:
    private_redis.stop()
    outage_client.get("/")
    text = outage_client.get("/metrics").text
    assert 'kvapi_redis_errors_total{command="get",kind="connection"}' in text
    assert "kvapi_active_clients" not in text
