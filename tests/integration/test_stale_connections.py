"""A failover behind the app's back: stale pooled connections are dropped without a restart.

The app talks to Redis through a forwarder that plays the endpoint's DNS name, so a pooled
connection stays on the old node after `point_at` moved the name, as after an ElastiCache
failover. One reset each time, so the reset throttle never decides an outcome here.
"""

from collections.abc import Iterator

import pytest
import redis

from kvapi.store import USER_PREFIX
from testbed.forwarder import Forwarder, forwarder
from testbed.logs import JsonLines
from testbed.metrics import value
from testbed.net import free_port, wait_until
from testbed.redis import RedisProcess, redis_server
from testbed.replication import client_of, promote, replicate
from tests.conftest import MakeClient


def resets(make_text: str, reason: str) -> float | None:
    return value(make_text, "kvapi_redis_connection_resets_total", reason=reason)


def pool_resets(captured: JsonLines) -> list[object]:
    return [r.get("reason") for r in captured.records() if r["event"] == "redis pool reset"]


@pytest.fixture
def old_and_new() -> Iterator[tuple[RedisProcess, RedisProcess]]:
    with redis_server() as old, redis_server() as new:
        replicate(new, old)
        yield old, new


@pytest.fixture
def endpoint(old_and_new: tuple[RedisProcess, RedisProcess]) -> Iterator[Forwarder]:
    with forwarder(old_and_new[0].port) as name:
        yield name


def test_write_on_a_stale_connection_is_refused_once_then_goes_to_the_new_primary(
    make_client: MakeClient,
    old_and_new: tuple[RedisProcess, RedisProcess],
    endpoint: Forwarder,
    captured: JsonLines,
) -> None:
    old, new = old_and_new
    client = make_client(redis_url=endpoint.url)
    assert client.put("/v1/keys/before", json={"value": "1"}).status_code == 201

    promote(new)
    client_of(old).replicaof("127.0.0.1", new.port)
    endpoint.point_at(new.port)

    refused = client.put("/v1/keys/after", json={"value": "2"})  # on the pooled connection
    assert refused.status_code == 503, refused.text
    assert refused.headers["Retry-After"] == "1"
    assert client.post("/write/after?value=2").status_code == 200  # the pool was reset
    assert client_of(new).get(USER_PREFIX + "after") == "2"
    text = client.get("/metrics").text
    assert resets(text, "readonly") == 1
    assert resets(text, "masterdown") == 0
    assert pool_resets(captured) == ["readonly"]


def test_read_on_a_stale_connection_is_retried_on_a_fresh_one(
    make_client: MakeClient, captured: JsonLines
) -> None:
    with redis_server() as old, redis_server() as new, forwarder(old.port) as endpoint:
        for server in (old, new):
            client_of(server).set(USER_PREFIX + "k", "v")
        client = make_client(redis_url=endpoint.url)
        assert client.get("/v1/keys/k").status_code == 200  # a pooled connection to the old node

        # The old node becomes a replica that cannot reach its primary: it answers MASTERDOWN.
        client_of(old).config_set("replica-serve-stale-data", "no")
        client_of(old).replicaof("127.0.0.1", free_port())
        wait_until(lambda: masterdown(old), 10, "MASTERDOWN from the old node")
        endpoint.point_at(new.port)

        read = client.get("/v1/keys/k")
        assert read.status_code == 200, read.text
        assert read.json()["value"] == "v"
        text = client.get("/metrics").text
    assert resets(text, "masterdown") == 1
    assert pool_resets(captured) == ["masterdown"]


def masterdown(server: RedisProcess) -> bool:
    try:
        client_of(server).get("probe")
    except redis.exceptions.MasterDownError:
        return True
    return False
