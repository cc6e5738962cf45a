"""Rate limiting against a real Redis: 429s with their headers, per client and route class,
shared by every app instance, and failing open (with a metric and one log line) without Redis."""

import re

import redis
from fastapi.testclient import TestClient

from kvapi.middleware.ratelimit import FAIL_OPEN_S
from testbed.logs import JsonLines
from testbed.metrics import value
from testbed.net import wait_until
from testbed.redis import RedisProcess
from tests.conftest import MakeClient

LIMITS = {"rate_limit_reads": "3/minute", "rate_limit_writes": "2/minute"}
RATELIMIT = re.compile(r'"reads";r=0;t=(\d+)')


def exhaust_reads(client: TestClient, times: int = 3, **headers: str) -> None:
    for _ in range(times):
        assert client.get("/v1/keys/k", headers=headers).status_code == 404


def test_off_by_default(client: TestClient) -> None:
    for _ in range(20):
        response = client.get("/v1/keys/k")
        assert response.status_code == 404
    assert "ratelimit-policy" not in response.headers


def test_refusal_carries_retry_after_and_ratelimit_headers(make_client: MakeClient) -> None:
    client = make_client(**LIMITS)
    first = client.get("/v1/keys/k")
    assert first.headers["ratelimit-policy"] == '"reads";q=3;w=60'
    exhaust_reads(client, times=2)
    refused = client.get("/v1/keys/k")
    assert (refused.status_code, refused.json()) == (429, {"detail": "Rate limit exceeded"})
    retry = int(refused.headers["retry-after"])
    assert 1 <= retry <= 60
    match = RATELIMIT.fullmatch(refused.headers["ratelimit"])
    assert match and int(match.group(1)) == retry
    assert refused.headers["x-content-type-options"] == "nosniff"  # still a full response
    text = client.get("/metrics").text
    assert value(text, "kvapi_rate_limited_total", route_class="read") == 1
    assert value(text, "kvapi_rate_limited_total", route_class="write") == 0


def test_reads_and_writes_are_counted_apart(make_client: MakeClient) -> None:
    client = make_client(**LIMITS)
    exhaust_reads(client)
    assert client.get("/").status_code == 429  # the legacy read shares the read budget
    assert client.put("/v1/keys/k", json={"value": "v"}).status_code == 201
    assert client.post("/write/k?value=v").status_code == 200
    refused = client.delete("/v1/keys/k")
    assert refused.status_code == 429
    assert refused.headers["ratelimit-policy"] == '"writes";q=2;w=60'


def test_probes_metrics_and_docs_are_never_limited(make_client: MakeClient) -> None:
    client = make_client(**LIMITS)
    exhaust_reads(client)
    for path in ("/healthz", "/readyz", "/health", "/metrics", "/openapi.json"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "ratelimit-policy" not in response.headers


def test_each_token_has_its_own_budget(make_client: MakeClient) -> None:
    client = make_client(write_tokens="alpha,beta", **LIMITS)
    exhaust_reads(client, Authorization="Bearer alpha")
    assert client.get("/v1/keys/k", headers={"Authorization": "Bearer alpha"}).status_code == 429
    assert client.get("/v1/keys/k", headers={"Authorization": "Bearer beta"}).status_code == 404
    assert client.get("/v1/keys/k").status_code == 404  # the anonymous client (its IP)
    # an unknown token is not an identity of its own, so inventing tokens gains nothing
    exhaust_reads(client, times=2, Authorization="Bearer invented-1")
    assert (
        client.get("/v1/keys/k", headers={"Authorization": "Bearer invented-2"}).status_code == 429
    )


def test_the_budget_is_shared_by_every_instance(make_client: MakeClient) -> None:
    """Two apps on one Redis stand for two workers (or pods): the window is Redis's, not theirs."""
    one, two = make_client(**LIMITS), make_client(**LIMITS)
    assert one.get("/v1/keys/k").status_code == 404
    assert two.get("/v1/keys/k").status_code == 404
    assert one.get("/v1/keys/k").status_code == 404
    assert two.get("/v1/keys/k").status_code == 429


def test_counters_live_under_the_internal_prefix(
    make_client: MakeClient, redis_client: "redis.Redis[str]"
) -> None:
    client = make_client(**LIMITS)
    client.put("/v1/keys/user", json={"value": "v"})
    exhaust_reads(client)
    keys = redis_client.keys("*")
    assert any(key.startswith("_kvapi:ratelimit:") for key in keys), keys
    assert all(key.startswith(("kv:", "_kvapi:")) for key in keys), keys
    assert client.put("/v1/keys/again", json={"value": "v"}).status_code == 201
    assert sorted(make_client().get("/v1/keys").json()["keys"]) == ["again", "user"]


def test_fails_open_with_a_metric_and_one_log_line(
    make_client: MakeClient, private_redis: RedisProcess, captured: JsonLines
) -> None:
    client = make_client(redis_url=private_redis.url, redis_timeout_s=0.3, **LIMITS)
    private_redis.stop()
    for _ in range(5):
        assert client.get("/v1/keys/k").status_code == 503  # the store's answer, never a 429/500
    text = client.get("/metrics").text
    assert value(text, "kvapi_rate_limit_fail_open_total", route_class="read") == 5
    assert limiter_events(captured) == ["rate limiter unavailable: failing open"]
    private_redis.start()

    def recovered() -> bool:
        """Past the fail-open pause, the first request that reaches Redis closes the circuit
        (a write: leaves the read budget whole; at most one reaches Redis and counts)."""
        assert client.put("/v1/keys/reset", json={"value": "v"}).status_code in (200, 201)
        return limiter_events(captured)[-1] == "rate limiter recovered"

    wait_until(recovered, 10 * FAIL_OPEN_S, "the rate limiter to recover", every=0.1)
    assert limiter_events(captured).count("rate limiter recovered") == 1
    exhaust_reads(client)
    assert client.get("/v1/keys/k").status_code == 429


def limiter_events(captured: JsonLines) -> list[object]:
    return [r["event"] for r in captured.records() if r["logger"] == "kvapi.ratelimit"]
