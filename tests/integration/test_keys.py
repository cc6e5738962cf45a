"""/v1/keys against a real server: every endpoint and every error path."""

from urllib.parse import quote

import pytest
import redis
from fastapi.testclient import TestClient

from testbed.net import wait_until


def test_put_creates_then_replaces(client: TestClient) -> None:
    first = client.put("/v1/keys/a", json={"value": "1"})
    assert (first.status_code, first.json()) == (201, {"key": "a", "created": True})
    second = client.put("/v1/keys/a", json={"value": "2"})
    assert (second.status_code, second.json()) == (200, {"key": "a", "created": False})
    assert client.get("/v1/keys/a").json() == {"key": "a", "value": "2", "ttl_seconds": None}


def test_ttl_is_reported_and_expires(client: TestClient) -> None:
    client.put("/v1/keys/short", json={"value": "v", "ttl_seconds": 1})
    ttl = client.get("/v1/keys/short").json()["ttl_seconds"]
    assert ttl in (0, 1)
    wait_until(lambda: client.get("/v1/keys/short").status_code == 404, 5, "the key to expire")


def test_replacing_without_ttl_clears_it(client: TestClient) -> None:
    client.put("/v1/keys/k", json={"value": "v", "ttl_seconds": 100})
    client.put("/v1/keys/k", json={"value": "w"})
    assert client.get("/v1/keys/k").json()["ttl_seconds"] is None


def test_get_missing_is_404(client: TestClient) -> None:
    response = client.get("/v1/keys/nothing")
    assert (response.status_code, response.json()) == (404, {"detail": "Key not found"})


def test_delete(client: TestClient) -> None:
    client.put("/v1/keys/gone", json={"value": "v"})
    response = client.delete("/v1/keys/gone")
    assert (response.status_code, response.content) == (204, b"")
    assert client.delete("/v1/keys/gone").status_code == 404
    assert client.get("/v1/keys/gone").status_code == 404


def test_list_pages_through_every_key_by_prefix(client: TestClient) -> None:
    wanted = {f"user:{i}" for i in range(250)}
    for key in wanted:
        client.put(f"/v1/keys/{key}", json={"value": "v"})
    client.put("/v1/keys/other", json={"value": "v"})
    seen: set[str] = set()
    cursor = None
    pages = 0
    while True:
        params = {"prefix": "user:", "limit": 50, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/keys", params=params).json()
        seen.update(page["keys"])
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == wanted
    assert pages >= 4


def test_list_treats_glob_characters_literally(client: TestClient) -> None:
    for key in ("a*b", "axb", "a?c"):
        client.put(f"/v1/keys/{key}", json={"value": "v"})
    assert client.get("/v1/keys", params={"prefix": "a*"}).json()["keys"] == ["a*b"]


def test_list_never_shows_internal_keys(
    client: TestClient, redis_client: "redis.Redis[str]"
) -> None:
    client.get("/")  # records the caller in the active-client statistics, off the request path
    wait_until(
        lambda: any(key.startswith("_kvapi:") for key in redis_client.scan_iter()),
        5,
        "the active-client record",
    )
    assert client.get("/v1/keys").json()["keys"] == []


@pytest.mark.parametrize(
    ("params", "status"),
    [({"limit": 0}, 422), ({"limit": 1001}, 422), ({"cursor": "abc"}, 422), ({"limit": 1000}, 200)],
)
def test_list_validates_its_parameters(
    client: TestClient, params: dict[str, object], status: int
) -> None:
    assert client.get("/v1/keys", params=params).status_code == status


@pytest.mark.parametrize(
    "key",
    ["k" * 513, "é" * 257, "bad\x00key", "tab\tkey", "del\x7fkey"],
    ids=["513-bytes", "514-bytes-utf8", "nul", "tab", "del"],
)
def test_invalid_keys_are_422_and_store_nothing(
    client: TestClient, redis_client: "redis.Redis[str]", key: str
) -> None:
    path = quote(key, safe="")
    assert client.put(f"/v1/keys/{path}", json={"value": "v"}).status_code == 422
    assert client.post(f"/write/{path}", params={"value": "v"}).status_code == 422
    assert client.get(f"/v1/keys/{path}").status_code == 422
    assert list(redis_client.scan_iter("kv:*")) == []


def test_longest_valid_key(client: TestClient) -> None:
    key = "é" * 256  # 512 bytes
    assert client.put(f"/v1/keys/{key}", json={"value": "v"}).status_code == 201
    assert client.get(f"/v1/keys/{key}").json()["value"] == "v"


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'{"value": 1}',
        b'{"ttl_seconds": 5}',
        b'{"value": "v", "ttl_seconds": 0}',
        b'{"value": "\\ud800"}',
    ],
    ids=["malformed", "wrong-type", "missing-value", "zero-ttl", "lone-surrogate"],
)
def test_bad_bodies_are_422(client: TestClient, body: bytes) -> None:
    response = client.put("/v1/keys/k", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert client.get("/v1/keys/k").status_code == 404


def test_value_over_the_limit_is_413_and_stores_nothing(make_client) -> None:  # type: ignore[no-untyped-def]
    client = make_client(max_value_bytes=10)
    assert client.put("/v1/keys/k", json={"value": "x" * 11}).status_code == 413
    assert client.post("/write/k", params={"value": "é" * 6}).status_code == 413
    assert client.get("/v1/keys/k").status_code == 404
    assert client.put("/v1/keys/k", json={"value": "x" * 10}).status_code == 201


def test_values_round_trip_unchanged(client: TestClient) -> None:
    value = 'multi\nline ✓ "quoted" \\ and 🙂'
    client.put("/v1/keys/v", json={"value": value})
    assert client.get("/v1/keys/v").json()["value"] == value
