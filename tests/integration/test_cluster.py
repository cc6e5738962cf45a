"""Every endpoint against a real Redis Cluster (3 primaries, 3 replicas) with KVAPI_REDIS_CLUSTER.

Keys spread over the three shards; listing walks them all with an opaque cursor that stays
valid while keys are added; rate limits and active-client statistics keep the keys each Lua
script or multi-key command reads in one slot.
"""

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from redis.cluster import RedisCluster

from kvapi.settings import Settings
from testbed.cluster import LocalCluster, local_cluster
from testbed.metrics import value
from testbed.net import wait_until

ClusterClient = Callable[..., TestClient]


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with local_cluster() as started:
        yield started


@pytest.fixture
def direct(cluster: LocalCluster) -> Iterator["RedisCluster[str]"]:
    """A plain cluster client to look behind the API; every primary starts empty."""
    client: RedisCluster[str] = RedisCluster.from_url(cluster.url, decode_responses=True)
    client.flushall(target_nodes=RedisCluster.PRIMARIES)
    yield client
    client.close()


@pytest.fixture
def make_cluster_client(
    cluster: LocalCluster, direct: object, make_client: ClusterClient
) -> ClusterClient:
    """tests/conftest.py's make_client, for an app in cluster mode on the emptied cluster."""
    return lambda **overrides: make_client(redis_url=cluster.url, redis_cluster=True, **overrides)


@pytest.fixture
def api(make_cluster_client: ClusterClient) -> TestClient:
    return make_cluster_client()


def shards_holding(direct: "RedisCluster[str]", keys: list[str]) -> set[str]:
    return {direct.get_node_from_key(key).name for key in keys}


def test_legacy_endpoints(api: TestClient, direct: "RedisCluster[str]") -> None:
    written = api.post("/write/example_key", params={"value": "hello"})
    assert written.json() == {"message": "Key 'example_key' set to 'hello'"}
    assert api.get("/").json() == {"message": "hello"}
    assert direct.get("kv:example_key") == "hello"


def test_crud_with_ttl_on_every_shard(api: TestClient, direct: "RedisCluster[str]") -> None:
    keys = [f"item-{n}" for n in range(30)]
    assert len(shards_holding(direct, [f"kv:{key}" for key in keys])) == 3
    for key in keys:
        assert (
            api.put(f"/v1/keys/{key}", json={"value": key, "ttl_seconds": 300}).status_code == 201
        )
        assert api.put(f"/v1/keys/{key}", json={"value": key + "!"}).status_code == 200
    for key in keys:
        body = api.get(f"/v1/keys/{key}").json()
        assert body == {"key": key, "value": key + "!", "ttl_seconds": None}
    assert api.put("/v1/keys/short", json={"value": "v", "ttl_seconds": 300}).status_code == 201
    assert 290 <= api.get("/v1/keys/short").json()["ttl_seconds"] <= 300
    for key in keys:
        assert api.delete(f"/v1/keys/{key}").status_code == 204
        assert api.get(f"/v1/keys/{key}").status_code == 404
    assert api.delete("/v1/keys/item-0").status_code == 404


def list_all(
    api: TestClient, prefix: str, limit: int, between_pages: Callable[[], None]
) -> list[str]:
    seen: list[str] = []
    cursor = None
    for _ in range(10_000):
        params = {"prefix": prefix, "limit": limit, **({"cursor": cursor} if cursor else {})}
        page = api.get("/v1/keys", params=params)
        assert page.status_code == 200, page.text
        seen += page.json()["keys"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return seen
        assert re.fullmatch(r"[A-Za-z0-9_-]+", cursor)
        between_pages()
    raise AssertionError("listing never ended")


def test_listing_walks_every_shard_while_keys_are_added(
    api: TestClient, direct: "RedisCluster[str]"
) -> None:
    present = [f"user:{n}" for n in range(300)]
    for key in present:
        direct.set(f"kv:{key}", "v")
    direct.set("kv:other:1", "v")
    added: list[str] = []

    def add_keys() -> None:
        for _ in range(20):
            key = f"user:new-{len(added)}"
            direct.set(f"kv:{key}", "v")
            added.append(key)

    seen = list_all(api, "user:", 25, add_keys)
    assert set(present) <= set(seen)  # every key present throughout, at least once
    assert set(seen) <= set(present) | set(added)  # nothing outside the prefix
    assert len(added) >= 200  # keys really were added while the listing ran


def test_listing_of_a_prefix_nobody_uses(api: TestClient) -> None:
    assert api.get("/v1/keys", params={"prefix": "nobody:"}).json() == {
        "keys": [],
        "next_cursor": None,
    }


@pytest.mark.parametrize("cursor", ["123", "abc", "MTIzNDU2Nzg5MC8xMjcuMC4wLjE6MS8w"])
def test_a_cursor_this_listing_never_made_is_a_422(api: TestClient, cursor: str) -> None:
    response = api.get("/v1/keys", params={"cursor": cursor})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "cursor"]


def test_rate_limit_keeps_its_windows_in_one_slot(
    make_cluster_client: ClusterClient, direct: "RedisCluster[str]"
) -> None:
    api = make_cluster_client(rate_limit_writes="3/minute")
    statuses = [api.put("/v1/keys/k", json={"value": "v"}).status_code for _ in range(4)]
    assert statuses == [201, 200, 200, 429]
    limit_keys = list(direct.scan_iter(match="_kvapi:ratelimit:*"))
    assert limit_keys
    for key in limit_keys:  # the previous window's key is the same tag with /-1 after it
        assert re.fullmatch(r"_kvapi:ratelimit:\{[^{}]+\}(/-1)?", key), key
    fail_open = api.get("/metrics").text
    assert value(fail_open, "kvapi_rate_limit_fail_open_total", route_class="write") in (None, 0)


def test_active_clients_are_counted_in_one_slot(
    make_cluster_client: ClusterClient, direct: "RedisCluster[str]"
) -> None:
    api = make_cluster_client(write_tokens="alpha,beta")
    for token in ("alpha", "beta"):
        api.put("/v1/keys/k", json={"value": "v"}, headers={"Authorization": f"Bearer {token}"})

    def counted() -> bool:
        text = api.get("/metrics").text  # unauthenticated: a third client
        return value(text, "kvapi_active_clients", window="1h") == 3

    wait_until(counted, 5, "three active clients")
    text = api.get("/metrics").text
    assert value(text, "kvapi_active_clients", window="1d") == 3
    keys = list(direct.scan_iter(match="_kvapi:clients:*"))
    for window in ("60", "3600"):
        window_keys = [key for key in keys if key.startswith(f"_kvapi:clients:{{{window}}}:")]
        assert window_keys
        assert len({direct.keyslot(key) for key in window_keys}) == 1


def test_readiness_and_health(api: TestClient) -> None:
    assert api.get("/readyz").json() == {"status": "ready"}
    assert api.get("/health").json() == {"status": "healthy", "redis": "connected"}
    assert api.get("/healthz").status_code == 200


def test_pool_metrics_count_connections_of_every_node(api: TestClient) -> None:
    for n in range(30):
        api.put(f"/v1/keys/pool-{n}", json={"value": "v"})
    in_use, idle = api.app.state.store.pool_usage()  # type: ignore[attr-defined]
    assert in_use == 0
    assert idle >= 3  # one connection at least to each primary
    text = api.get("/metrics").text
    assert value(text, "kvapi_redis_pool_connections", state="idle") is not None


def test_cluster_mode_needs_a_tcp_url() -> None:
    with pytest.raises(ValueError, match="KVAPI_REDIS_CLUSTER needs"):
        Settings(redis_cluster=True)  # the embedded server is a single node
    with pytest.raises(ValueError, match="KVAPI_REDIS_CLUSTER needs"):
        Settings(redis_cluster=True, redis_url="unix:///tmp/redis.sock")
