"""After known traffic, /metrics shows the exact names, labels and values."""

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

import kvapi.app
from kvapi import __version__
from kvapi.observability.metrics import HTTP_BUCKETS
from testbed.metrics import samples, value
from testbed.net import wait_until
from tests.conftest import MakeClient


def drive_known_traffic(client: TestClient) -> None:
    client.put("/v1/keys/a", json={"value": "12345"})  # created, 5 bytes
    client.put("/v1/keys/a", json={"value": "123"})  # replaced, 3 bytes
    client.post("/write/example_key?value=hi")  # created, 2 bytes
    client.get("/v1/keys/a")  # hit
    client.get("/v1/keys/b")  # miss
    client.get("/")  # hit
    client.delete("/v1/keys/a")
    client.get("/v1/keys")
    client.get("/no/such/path")
    client.get("/v1/keys/" + "x" * 600)  # 422


def test_http_metrics_use_route_templates(client: TestClient) -> None:
    drive_known_traffic(client)
    text = client.get("/metrics").text
    counted = {
        ("PUT", "/v1/keys/{key}", "201"): 1,
        ("PUT", "/v1/keys/{key}", "200"): 1,
        ("POST", "/write/{key}", "200"): 1,
        ("GET", "/v1/keys/{key}", "200"): 1,
        ("GET", "/v1/keys/{key}", "404"): 1,
        ("GET", "/v1/keys/{key}", "422"): 1,
        ("GET", "/", "200"): 1,
        ("DELETE", "/v1/keys/{key}", "204"): 1,
        ("GET", "/v1/keys", "200"): 1,
        ("GET", "<unmatched>", "404"): 1,
    }
    for (method, route, status), expected in counted.items():
        got = value(text, "http_requests_total", method=method, route=route, status=status)
        assert got == expected, (method, route, status)
    assert "/v1/keys/a" not in text and "/no/such/path" not in text
    assert (
        value(text, "http_request_duration_seconds_count", method="GET", route="/v1/keys/{key}")
        == 3
    )
    buckets = sorted(
        (float(labels["le"]), count)
        for (name, label_set), count in samples(text).items()
        if name == "http_request_duration_seconds_bucket"
        and (labels := dict(label_set))["route"] == "/"
    )
    assert [le for le, _ in buckets] == [*HTTP_BUCKETS, float("inf")]  # 1 ms .. 10 s, DESIGN.md
    counts = [count for _, count in buckets]
    assert counts == sorted(counts) and counts[-1] == 1  # cumulative, the one request in +Inf
    assert value(text, "http_requests_in_progress", method="GET", route="/metrics") == 1


def scrape_when(client: TestClient, ready: Callable[[str], bool], what: str) -> str:
    """/metrics once `ready` holds for it: for what the service records off the request path."""
    scrapes: list[str] = []

    def scraped_ready() -> bool:
        scrapes.append(client.get("/metrics").text)
        return ready(scrapes[-1])

    wait_until(scraped_ready, 5, what)
    return scrapes[-1]


def test_business_and_redis_metrics(client: TestClient) -> None:
    drive_known_traffic(client)
    text = scrape_when(
        client,
        lambda text: value(text, "kvapi_active_clients", window="1h") == 1,
        "the active-client record",
    )
    operations = {
        ("write", "created"): 2,
        ("write", "replaced"): 1,
        ("read", "hit"): 2,
        ("read", "miss"): 1,
        ("delete", "deleted"): 1,
        ("list", "ok"): 1,
    }
    for (operation, result), expected in operations.items():
        assert (
            value(text, "kvapi_kv_operations_total", operation=operation, result=result) == expected
        )
    assert value(text, "kvapi_kv_written_bytes_total") == 10
    assert value(text, "kvapi_active_clients", window="1h") == 1
    assert value(text, "kvapi_active_clients", window="1d") == 1
    assert value(text, "kvapi_rate_limited_total", route_class="read") == 0
    assert value(text, "kvapi_rate_limited_total", route_class="write") == 0
    assert value(text, "kvapi_build_info", version=__version__, commit="unknown") == 1
    assert value(text, "kvapi_redis_command_duration_seconds_count", command="set") == 3
    assert value(text, "kvapi_redis_command_duration_seconds_count", command="get") == 3


def test_pool_gauges(make_client: MakeClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kvapi.app, "POOL_SAMPLE_EVERY_S", 0.01)  # the sampler's clock
    client = make_client()
    assert client.get("/v1/keys/k").status_code == 404  # takes connections and gives them back
    scrape_when(
        client,
        lambda text: (
            (value(text, "kvapi_redis_pool_connections", state="idle") or 0) >= 1
            and value(text, "kvapi_redis_pool_connections", state="in_use") == 0
        ),
        "idle pool connections, none in use",
    )


@pytest.mark.parametrize("token", ["alpha", "beta"])
def test_authenticated_clients_count_by_token(make_client: MakeClient, token: str) -> None:
    client = make_client(write_tokens="alpha,beta")
    client.put("/v1/keys/k", json={"value": "v"}, headers={"Authorization": f"Bearer {token}"})
    client.get("/v1/keys/k")  # same IP, no token: a second client
    scrape_when(
        client,
        lambda text: value(text, "kvapi_active_clients", window="1h") == 2,
        "two active clients",
    )


def test_metrics_can_be_switched_off(make_client: MakeClient) -> None:
    client = make_client(metrics_enabled=False)
    client.get("/")
    assert "http_requests_total{" not in client.get("/metrics").text
