"""Liveness, readiness and the OpenAPI document."""

from fastapi.testclient import TestClient


def test_liveness_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}


def test_openapi_documents_every_route_and_error(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    assert set(paths) >= {
        "/",
        "/write/{key}",
        "/v1/keys",
        "/v1/keys/{key}",
        "/healthz",
        "/readyz",
        "/health",
    }
    assert "/metrics" not in paths
    put = paths["/v1/keys/{key}"]["put"]["responses"]
    assert {"200", "201", "401", "403", "413", "422", "503"} <= set(put)
    assert set(paths["/v1/keys/{key}"]["get"]["responses"]) >= {"200", "404", "422", "503"}
    assert client.get("/docs").status_code == 200
