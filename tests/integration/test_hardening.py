"""Request bodies refused before they are read, security headers everywhere, CORS allow-list."""

from collections.abc import Iterator

import pytest
import redis
from fastapi.testclient import TestClient
from pydantic import ValidationError

from kvapi.settings import Settings
from tests.conftest import MakeClient

SMALL = {"max_value_bytes": 100, "max_body_bytes": 1000}
JSON = {"Content-Type": "application/json"}


def test_declared_length_over_the_limit_is_refused_unread(
    make_client: MakeClient, redis_client: "redis.Redis[str]"
) -> None:
    client = make_client(**SMALL)
    response = client.put("/v1/keys/big", content=b'{"value": "' + b"x" * 2000 + b'"}')
    assert response.status_code == 413
    assert response.json() == {"detail": "Request body larger than 1000 bytes"}
    assert response.headers["connection"] == "close"
    assert response.headers["x-frame-options"] == "DENY"
    assert redis_client.exists("kv:big") == 0


def chunks(total: int) -> Iterator[bytes]:
    yield b'{"value": "'
    for _ in range(total // 100):
        yield b"x" * 100
    yield b'"}'


def test_streamed_body_over_the_limit_is_refused(
    make_client: MakeClient, redis_client: "redis.Redis[str]"
) -> None:
    client = make_client(**SMALL)
    response = client.put("/v1/keys/big", content=chunks(2000), headers=JSON)  # chunked
    assert response.status_code == 413
    assert response.json()["detail"] == "Request body larger than 1000 bytes"
    assert redis_client.exists("kv:big") == 0
    within = client.put("/v1/keys/ok", content=chunks(50), headers=JSON)
    assert within.status_code == 201


def test_largest_value_fits_however_the_client_escapes_it(make_client: MakeClient) -> None:
    """The default body limit leaves room for a maximal value sent as \\u00XX escapes."""
    client = make_client(max_value_bytes=1000)
    value = "\x01" * 1000  # 1000 bytes of UTF-8, 6000 bytes of JSON
    assert client.put("/v1/keys/escaped", json={"value": value}).status_code == 201
    assert client.get("/v1/keys/escaped").json()["value"] == value
    over = client.put("/v1/keys/escaped", json={"value": value + "x"})
    assert over.status_code == 413  # the value check, after the body was allowed in


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/"),
        ("get", "/nope"),
        ("get", "/v1/keys/none"),
        ("post", "/write/k"),
        ("get", "/healthz"),
    ],
)
def test_security_headers_on_every_response(client: TestClient, method: str, path: str) -> None:
    headers = client.request(method, path).headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    # (no `server` header: only the real server could add one; tests/integration/test_server.py)


def test_cors_is_off_by_default(client: TestClient) -> None:
    response = client.get("/v1/keys", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in response.headers
    preflight = client.options(
        "/v1/keys/k",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "PUT"},
    )
    assert "access-control-allow-origin" not in preflight.headers


def test_cors_allows_only_listed_origins_without_credentials(make_client: MakeClient) -> None:
    client = make_client(cors_origins="https://app.example")
    allowed = client.get("/v1/keys", headers={"Origin": "https://app.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    assert "access-control-allow-credentials" not in allowed.headers
    assert "x-request-id" in allowed.headers["access-control-expose-headers"].lower()
    preflight = client.options(
        "/v1/keys/k",
        headers={"Origin": "https://app.example", "Access-Control-Request-Method": "PUT"},
    )
    assert preflight.status_code == 200
    assert "PUT" in preflight.headers["access-control-allow-methods"]
    other = client.get("/v1/keys", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_wildcard_origin_is_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="never"):
        Settings(cors_origins="https://app.example,*")


@pytest.mark.parametrize("limit", ["100/second;10/minute", "lots", "5 per fortnight"])
def test_malformed_or_multiple_limits_are_refused_at_start(limit: str) -> None:
    with pytest.raises(ValidationError):
        Settings(rate_limit_reads=limit)
