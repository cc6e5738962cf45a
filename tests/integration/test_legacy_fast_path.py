"""The legacy fast path answers exactly as the FastAPI routes do, byte for byte."""

import asyncio
from collections.abc import Iterator

import pytest
import redis
from fastapi.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from kvapi.app import create_app
from kvapi.middleware.legacy_fast import LegacyFastPath
from kvapi.observability.metrics import Metrics
from kvapi.settings import Settings
from kvapi.store import Store

TOKEN = "fast-path-token"  # noqa: S105 (a test token)
AUTH = {"Authorization": f"Bearer {TOKEN}"}
REQUESTS: list[tuple[str, str, dict[str, str]]] = [
    ("GET", "/", {}),
    ("POST", "/write/example_key?value=hello", AUTH),
    ("GET", "/", {}),
    ("POST", "/write/k?value=a+b%20c%2Bd%26e", AUTH),
    ("POST", "/write/%C3%A9t%C3%A9?value=%F0%9F%99%82", AUTH),
    ("POST", "/write/k?value=", AUTH),
    ("POST", "/write/k?value=x&other=1", AUTH),
    ("POST", "/write/k?value=1&value=2", AUTH),
    ("POST", "/write/k", AUTH),
    ("POST", "/write/k?value=%ED%A0%80", AUTH),
    ("POST", "/write/k?value=" + "x" * 65, AUTH),
    ("POST", "/write/" + "k" * 513 + "?value=v", AUTH),
    ("POST", "/write/bad%09key?value=v", AUTH),
    ("POST", "/write/a%2Fb?value=v", AUTH),
    ("POST", "/write/k?value=v", {}),
    ("POST", "/write/k?value=v", {"Authorization": "Bearer wrong"}),
    ("POST", "/write/k?value=v", {"Authorization": f"bearer  {TOKEN} "}),
    ("POST", "/write/k?value=v", {"Authorization": f"Basic {TOKEN}"}),
]


@pytest.fixture
def clients(
    redis_url: str, redis_client: "redis.Redis[str]"
) -> Iterator[tuple[TestClient, TestClient]]:
    settings = Settings(redis_url=redis_url, write_tokens=TOKEN, max_value_bytes=64)  # type: ignore[arg-type]
    fast = create_app(settings)
    routes_only = create_app(settings)
    routes_only.user_middleware = [
        m for m in routes_only.user_middleware if m.cls is not LegacyFastPath
    ]
    with TestClient(fast) as fast_client, TestClient(routes_only) as routes_client:
        yield fast_client, routes_client


def answer(
    client: TestClient, method: str, path: str, headers: dict[str, str]
) -> tuple[object, ...]:
    response = client.request(method, path, headers=headers)
    kept = ("content-type", "content-length", "www-authenticate", "retry-after")
    return response.status_code, response.content, {h: response.headers.get(h) for h in kept}


def replay(client: TestClient, store: "redis.Redis[str]") -> tuple[list[object], list[object]]:
    """Every answer of the sequence from an empty store, and the data it leaves."""
    store.flushdb()
    answers = [answer(client, method, path, headers) for method, path, headers in REQUESTS]
    return answers, [(key, store.get(key)) for key in sorted(store.scan_iter("kv:*"))]


def test_same_answers_and_same_data(
    clients: tuple[TestClient, TestClient], redis_client: "redis.Redis[str]"
) -> None:
    fast, routes_only = clients
    fast_answers, fast_data = replay(fast, redis_client)
    routes_answers, routes_data = replay(routes_only, redis_client)
    for request, via_fast, via_routes in zip(REQUESTS, fast_answers, routes_answers, strict=True):
        assert via_fast == via_routes, request
    assert fast_data == routes_data
    assert len(fast_data) == 3  # example_key, k, été: the accepted writes


def test_values_written_either_way_read_back_alike(clients: tuple[TestClient, TestClient]) -> None:
    fast, routes_only = clients
    fast.post("/write/example_key?value=%E2%9C%93+ok", headers=AUTH)
    assert routes_only.get("/").json() == {"message": "✓ ok"}
    assert fast.get("/").content == routes_only.get("/").content


@pytest.mark.parametrize(
    ("method", "path", "headers", "answered_fast"),
    [
        ("GET", "/", {}, True),
        ("POST", "/write/k?value=v", AUTH, True),
        ("POST", "/write/k?value=v", {}, False),
        ("POST", "/write/k", AUTH, False),
        ("GET", "/v1/keys/k", {}, False),
    ],
)
def test_only_the_common_requests_take_the_fast_path(
    redis_url: str, method: str, path: str, headers: dict[str, str], answered_fast: bool
) -> None:
    settings = Settings(redis_url=redis_url, write_tokens=TOKEN)  # type: ignore[arg-type]
    passed_on: list[str] = []

    async def routes(scope: Scope, receive: Receive, send: Send) -> None:
        passed_on.append(scope["path"])

    async def call() -> list[int]:
        store = Store(settings, Metrics(), redis_url)
        statuses: list[int] = []

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        async def receive() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        raw_path, _, query = path.partition("?")
        scope = {
            "type": "http",
            "method": method,
            "path": raw_path,
            "query_string": query.encode(),
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        }
        try:
            await LegacyFastPath(routes, store, settings)(scope, receive, send)
        finally:
            await store.close()
        return statuses

    statuses = asyncio.run(call())
    assert (passed_on == []) is answered_fast
    assert (statuses == [200]) is answered_fast
