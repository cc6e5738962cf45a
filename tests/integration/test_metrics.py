"""After known traffic, /metrics shows the exact names, labels and values."""

import time

import pytest
from fastapi.testclient import TestClient

from kvapi import __version__
from testbed.metrics import samples, value
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
    assert (
        value(text, "http_request_duration_seconds_bucket", method="GET", route="/", le="10.0") == 1
    )
    assert (
        value(text, "http_request_duration_seconds_bucket", method="GET", route="/", le="0.001")
        is not None
    )
    assert value(text, "http_requests_in_progress", method="GET", route="/metrics") == 1


def test_business_and_redis_metrics(client: TestClient) -> None:
    drive_known_traffic(client)
    time.sleep(0.2)  # the active-client record is written off the request path
    text = client.get("/metrics").text
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


def test_pool_gauges(client: TestClient) -> None:
    text = client.get("/metrics").text
    names = {name for name, _ in samples(text)}
    assert "kvapi_redis_pool_connections" in names


@pytest.mark.parametrize("token", ["alpha", "beta"])
def test_authenticated_clients_count_by_token(make_client: MakeClient, token: str) -> None:
    client = make_client(write_tokens="alpha,beta")
    client.put("/v1/keys/k", json={"value": "v"}, headers={"Authorization": f"Bearer {token}"})
    client.get("/v1/keys/k")  # same IP, no token: a second client
    time.sleep(0.2)
    assert value(client.get("/metrics").text, "kvapi_active_clients", window="1h") == 2


def test_metrics_can_be_switched_off(make_client: MakeClient) -> None:
    client = make_client(metrics_enabled=False)
    client.get("/")
    assert "http_requests_total{" not in client.get("/metrics").text
