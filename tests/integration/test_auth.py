"""Write protection with KVAPI_WRITE_TOKENS."""

import pytest
from fastapi.testclient import TestClient

from tests.conftest import MakeClient

TOKENS = "alpha-token,beta-token"


@pytest.fixture
def protected(make_client: MakeClient) -> TestClient:
    return make_client(write_tokens=TOKENS)


WRITES = [
    ("post", "/write/k?value=v", None),
    ("put", "/v1/keys/k", {"value": "v"}),
    ("delete", "/v1/keys/k", None),
]


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_writes_without_token_are_401(
    protected: TestClient, method: str, path: str, body: object
) -> None:
    response = protected.request(method, path, json=body)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_writes_with_wrong_token_are_403(
    protected: TestClient, method: str, path: str, body: object
) -> None:
    headers = {"Authorization": "Bearer wrong"}
    assert protected.request(method, path, json=body, headers=headers).status_code == 403


@pytest.mark.parametrize("token", ["alpha-token", "beta-token"])
def test_each_configured_token_may_write(protected: TestClient, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    assert protected.put("/v1/keys/k", json={"value": "v"}, headers=headers).status_code in (
        200,
        201,
    )
    assert protected.delete("/v1/keys/k", headers=headers).status_code == 204


def test_reads_stay_open(protected: TestClient) -> None:
    protected.put(
        "/v1/keys/k", json={"value": "v"}, headers={"Authorization": "Bearer alpha-token"}
    )
    assert protected.get("/v1/keys/k").status_code == 200
    assert protected.get("/v1/keys").status_code == 200


def test_refused_write_stores_nothing(protected: TestClient) -> None:
    protected.post("/write/example_key?value=v")
    assert protected.get("/").status_code == 404


def test_open_writes_are_warned_about(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("WARNING", logger="kvapi"):
        make_client()
    assert "KVAPI_WRITE_TOKENS is unset" in caplog.text
