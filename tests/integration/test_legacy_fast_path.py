"""The legacy fast path answers exactly as the FastAPI routes do: a differential test.

Hypothesis generates requests to the original contract (keys, values, query strings, tokens,
headers, bodies, with or without example_key stored) and each goes to the app with the fast
path and to the app without it, from the same stored data: status, headers (but the
generated X-Request-ID), body and the data left in Redis must be the same.
"""

import asyncio
from collections import Counter
from collections.abc import Iterator
from typing import TypeVar
from urllib.parse import quote

import pytest
import redis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.types import Message, Receive, Scope, Send

from kvapi.app import create_app
from kvapi.middleware.legacy_fast import LegacyFastPath
from kvapi.observability.metrics import Metrics
from kvapi.settings import Settings
from kvapi.store import Store

TOKEN = "fast-path-token"  # noqa: S105 (a test token)
AUTH = {"Authorization": f"Bearer {TOKEN}"}
MAX_VALUE_BYTES = 64
T = TypeVar("T")
EXAMPLES = 150  # a few seconds: every example is two requests and two Redis snapshots


@pytest.fixture
def clients(
    redis_url: str, redis_client: "redis.Redis[str]"
) -> Iterator[tuple[TestClient, TestClient]]:
    settings = Settings(
        redis_url=redis_url,
        write_tokens=TOKEN,  # type: ignore[arg-type]
        max_value_bytes=MAX_VALUE_BYTES,
        access_log=False,
    )
    fast = create_app(settings)
    routes_only = create_app(settings)
    routes_only.user_middleware = [
        m for m in routes_only.user_middleware if m.cls is not LegacyFastPath
    ]
    with TestClient(fast) as fast_client, TestClient(routes_only) as routes_client:
        yield fast_client, routes_client


def mostly(common: st.SearchStrategy[T], rare: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    """`common` three times in four: one_of draws its branches alike."""
    return st.integers(0, 3).flatmap(lambda n: rare if n == 3 else common)


printable = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
texts = st.one_of(
    st.text(max_size=8),  # any code point, lone surrogates included
    st.text(printable, max_size=8),
    st.text("v", min_size=MAX_VALUE_BYTES - 1, max_size=MAX_VALUE_BYTES + 1),  # the size rule
    st.sampled_from(["", "a b+c", "✓", "🙂", "\t\x00", "%zz", "&value=x"]),
)
keys = st.one_of(
    texts,
    st.text("k", min_size=510, max_size=514),  # the 512-byte key rule
    st.sampled_from(["example_key", "a/b", "bad\tkey", ".", "k/"]),
)


def encoded(text: str) -> str:
    """Percent-encoded as a client would send it; lone surrogates as their raw bytes."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


pair = st.tuples(st.sampled_from(["value", "other", "Value", "valu%65"]), texts)
queries = mostly(
    texts.map(lambda value: "value=" + encoded(value)),  # the well-formed write
    st.one_of(
        st.lists(pair, max_size=3).map(
            lambda pairs: "&".join(f"{name}={encoded(value)}" for name, value in pairs)
        ),
        st.text("=&%+;av", max_size=10),  # raw, malformed query strings
    ),
)
authorizations = mostly(
    st.just(f"Bearer {TOKEN}"),
    st.one_of(
        st.sampled_from(
            [f"bearer  {TOKEN} ", f"BEARER {TOKEN}", f"Basic {TOKEN}", "Bearer", "Bearer wrong"]
        ),
        st.text(printable, max_size=20),
    ),
)
headers = st.fixed_dictionaries(
    {"Authorization": authorizations},
    optional={
        "X-Request-ID": st.one_of(st.just("fixed-id.1"), st.text(printable, max_size=8)),
        "User-Agent": st.text(printable, max_size=8),
        "Content-Type": st.sampled_from(["application/json", "text/plain"]),
    },
)
write = st.tuples(st.just("POST"), keys.map(lambda key: "/write/" + encoded(key)), queries)
requests = mostly(
    write,
    st.one_of(
        st.tuples(st.sampled_from(["GET", "POST", "HEAD"]), st.just("/"), queries),
        st.tuples(st.sampled_from(["GET", "PUT"]), st.just("/write/k"), queries),
    ),
)


Answer = tuple[int, dict[str, str], bytes, list[tuple[str, str | None]]]


def answer(
    client: TestClient,
    store: "redis.Redis[str]",
    seed: str | None,
    request: tuple[str, str, str],
    sent_headers: dict[str, str],
    body: bytes | None,
) -> Answer:
    """The answer to one request from a store holding only `seed` as example_key, and the
    user data the request leaves."""
    store.flushdb()
    if seed is not None:
        store.set("kv:example_key", seed)
    method, path, query = request
    url = f"{path}?{query}" if query else path
    response = client.request(method, url, headers=sent_headers, content=body)
    kept = {name: value for name, value in response.headers.items() if name != "x-request-id"}
    data = [(key, store.get(key)) for key in sorted(store.scan_iter("kv:*"))]
    return response.status_code, kept, response.content, data


def test_same_answers_and_same_data(
    clients: tuple[TestClient, TestClient], redis_client: "redis.Redis[str]"
) -> None:
    fast, routes_only = clients
    statuses: Counter[int] = Counter()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(
        seed=st.one_of(st.none(), st.text(printable, max_size=8)),
        request=requests,
        sent_headers=mostly(headers, st.just({})),
        body=st.one_of(st.none(), st.binary(max_size=8)),
    )
    def same(
        seed: str | None,
        request: tuple[str, str, str],
        sent_headers: dict[str, str],
        body: bytes | None,
    ) -> None:
        via_fast = answer(fast, redis_client, seed, request, sent_headers, body)
        via_routes = answer(routes_only, redis_client, seed, request, sent_headers, body)
        assert via_fast == via_routes
        statuses[via_fast[0]] += 1

    same()
    # The comparison covered accepted writes and reads as well as refusals.
    assert statuses[200] >= EXAMPLES // 20, statuses
    assert sum(count for status, count in statuses.items() if status >= 400) >= EXAMPLES // 4


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
