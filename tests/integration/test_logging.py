"""JSON access lines with request ids; secrets and values never logged."""

import pytest
from fastapi.testclient import TestClient

from testbed.logs import JsonLines, access_lines
from tests.conftest import MakeClient

ACCESS_FIELDS = {
    "timestamp", "level", "logger", "event", "request_id", "trace_id", "span_id", "method",
    "route", "path", "status", "duration_ms", "client_ip", "user_agent", "bytes",
}  # fmt: skip


def test_access_line_carries_every_field(client: TestClient, captured: JsonLines) -> None:
    client.get("/v1/keys/k", headers={"User-Agent": "probe/1", "X-Request-ID": "req-123"})
    (line,) = access_lines(captured)
    assert set(line) >= ACCESS_FIELDS
    assert line["route"] == "/v1/keys/{key}" and line["path"] == "/v1/keys/k"
    assert (line["status"], line["method"], line["request_id"]) == (404, "GET", "req-123")
    assert line["user_agent"] == "probe/1"
    assert str(line["timestamp"]).endswith("Z") and len(str(line["timestamp"])) == 24


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("abc-123_X.y:z", True),
        ("x" * 128, True),
        ("x" * 129, False),
        ("bad id", False),
        ("é", False),
    ],
)
def test_request_id_kept_only_when_sane(client: TestClient, sent: str, kept: bool) -> None:
    returned = client.get("/healthz", headers={"X-Request-ID": sent.encode()}).headers[
        "x-request-id"
    ]
    assert (returned == sent) is kept
    assert 1 <= len(returned) <= 128


def test_lines_during_a_request_carry_its_id(
    make_client: MakeClient, captured: JsonLines, private_redis
) -> None:  # type: ignore[no-untyped-def]
    client = make_client(redis_url=private_redis.url, redis_timeout_s=0.3)
    private_redis.stop()
    client.get("/", headers={"X-Request-ID": "outage-1"})
    warnings = [r for r in captured.records() if r["event"] == "redis unavailable"]
    assert warnings and all(r["request_id"] == "outage-1" for r in warnings)


def test_tokens_and_values_never_reach_the_logs(
    make_client: MakeClient, captured: JsonLines
) -> None:
    token, value = "tok-SECRET-9f8e7d", "VALUE-SECRET-1a2b3c"
    client = make_client(write_tokens=token)
    auth = {"Authorization": f"Bearer {token}"}
    client.post(f"/write/k?value={value}", headers=auth)
    client.post(f"/write/k?value={value}")  # 401
    client.post(f"/write/k?value={value}", headers={"Authorization": f"Bearer {token}x"})  # 403
    client.put("/v1/keys/k", json={"value": value}, headers=auth)
    client.put("/v1/keys/k", json={"value": value, "ttl_seconds": -1}, headers=auth)  # 422
    client.get("/v1/keys/k")
    assert len(access_lines(captured)) == 6
    service_lines = [line for line in captured.lines if '"logger":"httpx"' not in line]
    for line in service_lines:  # httpx is the test's client and logs its own URLs
        assert token not in line and value not in line
