"""Password and ACL-user URLs, as ElastiCache with an auth token needs."""

from fastapi.testclient import TestClient

from testbed.redis import redis_server
from tests.conftest import MakeClient

ACL = {"requirepass": "default-secret", "user": "app on >app-secret ~* +@all"}


def test_password_and_acl_user_urls(make_client: MakeClient) -> None:
    with redis_server(ACL) as server:
        host = f"127.0.0.1:{server.port}"
        for url in (f"redis://:default-secret@{host}/0", f"redis://app:app-secret@{host}/0"):
            client: TestClient = make_client(redis_url=url)
            assert client.put("/v1/keys/k", json={"value": url[-12:]}).status_code in (200, 201)
            assert client.get("/readyz").status_code == 200


def test_wrong_password_is_a_503_not_a_500(make_client: MakeClient) -> None:
    with redis_server(ACL) as server:
        client = make_client(redis_url=f"redis://app:wrong@127.0.0.1:{server.port}/0")
        response = client.get("/v1/keys/k")
        assert response.status_code == 503
        assert client.get("/readyz").status_code == 503
