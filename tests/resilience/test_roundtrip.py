"""Property: every valid key and value comes back byte-identical, whichever API family wrote it
and whichever reads it (legacy /write and /, and /v1/keys), on a real Redis."""

from collections.abc import Iterator
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kvapi.app import create_app
from kvapi.settings import Settings
from testbed.redis import redis_server

EXAMPLES = 300
MAX_KEY_BYTES = 512

keys = st.text(
    alphabet=st.characters(exclude_categories=("Cc", "Cs"), exclude_characters="/"),
    min_size=1,
    max_size=MAX_KEY_BYTES,
).filter(lambda key: len(key.encode()) <= MAX_KEY_BYTES)
values = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=3000)
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def path_of(key: str) -> str:
    """Percent-encode everything, dots too: "." and ".." would otherwise be path segments."""
    return quote(key, safe="").replace(".", "%2E")


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with (
        redis_server() as server,
        TestClient(create_app(Settings(redis_url=server.url, access_log=False))) as client,
    ):
        yield client


def read_v1(client: TestClient, key: str) -> str:
    response = client.get(f"/v1/keys/{path_of(key)}")
    assert response.status_code == 200, response.text
    assert response.json()["key"] == key
    value: str = response.json()["value"]
    return value


@PROPERTY
@given(key=keys, value=values)
def test_put_then_get(client: TestClient, key: str, value: str) -> None:
    written = client.put(f"/v1/keys/{path_of(key)}", json={"value": value})
    assert written.status_code in (200, 201), written.text
    assert read_v1(client, key).encode() == value.encode()


@PROPERTY
@given(key=keys, value=values)
def test_legacy_write_then_v1_get(client: TestClient, key: str, value: str) -> None:
    written = client.post(f"/write/{path_of(key)}?value={quote(value, safe='')}")
    assert written.status_code == 200, written.text
    assert written.json() == {"message": f"Key '{key}' set to '{value}'"}
    assert read_v1(client, key).encode() == value.encode()


@PROPERTY
@given(value=values, legacy=st.booleans())
def test_either_write_then_legacy_read(client: TestClient, value: str, legacy: bool) -> None:
    if legacy:
        written = client.post(f"/write/example_key?value={quote(value, safe='')}")
    else:
        written = client.put("/v1/keys/example_key", json={"value": value})
    assert written.status_code in (200, 201), written.text
    assert client.get("/").json()["message"].encode() == value.encode()
