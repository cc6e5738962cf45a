"""The original app's contract, byte for byte."""

from fastapi.testclient import TestClient


def test_root_without_example_key_is_404(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 404
    assert response.content == b'{"detail":"Key not found"}'


def test_write_then_read_root(client: TestClient) -> None:
    response = client.post("/write/example_key", params={"value": "hello"})
    assert response.status_code == 200
    assert response.content == b"{\"message\":\"Key 'example_key' set to 'hello'\"}"
    assert client.get("/").content == b'{"message":"hello"}'


def test_write_without_value_is_422(client: TestClient) -> None:
    assert client.post("/write/example_key").status_code == 422


def test_v1_and_legacy_share_one_namespace(client: TestClient) -> None:
    assert client.put("/v1/keys/example_key", json={"value": "from v1"}).status_code == 201
    assert client.get("/").json() == {"message": "from v1"}
    client.post("/write/example_key", params={"value": "from legacy"})
    assert client.get("/v1/keys/example_key").json()["value"] == "from legacy"


def test_user_data_lives_under_its_prefix(client: TestClient, redis_client) -> None:  # type: ignore[no-untyped-def]
    client.post("/write/example_key", params={"value": "x"})
    user_keys = [key for key in redis_client.scan_iter() if not key.startswith("_kvapi:")]
    assert user_keys == ["kv:example_key"]


def test_legacy_health(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "healthy", "redis": "connected"}
