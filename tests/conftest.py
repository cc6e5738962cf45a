"""Shared fixtures: a real Redis-protocol server and the app in-process against it."""

import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient

import kvapi.ratelimit
from kvapi.app import create_app
from kvapi.observability.access import access_log
from kvapi.settings import Settings
from testbed.logs import JsonLines
from testbed.redis import RedisProcess, redis_server


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """KVAPI_TEST_REDIS_URL when set, else a throwaway server for the whole session."""
    external = os.environ.get("KVAPI_TEST_REDIS_URL")
    if external:
        yield external
        return
    with redis_server() as server:
        yield server.url


@pytest.fixture
def redis_client(redis_url: str) -> Iterator["redis.Redis[str]"]:
    client: redis.Redis[str] = redis.Redis.from_url(redis_url, decode_responses=True)
    client.flushdb()
    yield client
    client.close()


MakeClient = Callable[..., TestClient]


@pytest.fixture
def make_client(redis_client: "redis.Redis[str]", redis_url: str) -> Iterator[MakeClient]:
    """Build a TestClient for an app with the given settings (the lifespan runs)."""
    opened: list[TestClient] = []

    def make(**overrides: object) -> TestClient:
        settings = Settings(redis_url=overrides.pop("redis_url", redis_url), **overrides)  # type: ignore[arg-type]
        client = TestClient(create_app(settings), raise_server_exceptions=False)
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: MakeClient) -> TestClient:
    return make_client()


@pytest.fixture(autouse=True)
def patient_rate_limiter(monkeypatch: pytest.MonkeyPatch) -> None:
    """The limiter gives Redis 0.25 s before it fails open. The first call of an app connects and
    loads the limiter's scripts, which on a loaded 2-core test machine can take longer: the
    tests that expect a refusal then saw a 200. They wait the Redis timeout (KVAPI_REDIS_TIMEOUT_S)
    instead; the fail-open tests stop Redis, which refuses at once, so they still fail open."""
    monkeypatch.setattr(kvapi.ratelimit, "LIMITER_TIMEOUT_CAP_S", 5.0)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisProcess]:
    """A server of the test's own, to stop and restart."""
    with redis_server() as server:
        yield server


@pytest.fixture
def captured() -> Iterator[JsonLines]:
    handler = JsonLines()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    access_log.taps.append(handler.lines.append)  # access lines bypass logging's handlers
    yield handler
    access_log.taps.remove(handler.lines.append)
    root.removeHandler(handler)
    root.setLevel(previous)
