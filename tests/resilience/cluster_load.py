"""Load for the Redis Cluster resilience tests: writes that can be checked afterwards.

Every write (legacy POST /write and /v1 PUT in turn) goes to a key never written before and
stores the key's own name, and the next request of the thread reads it back; so after the
test each write acknowledged with a 2xx can be looked up in the cluster, one by one.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from redis.cluster import RedisCluster

from testbed.cluster import LocalCluster
from testbed.load import Result
from testbed.processes import KvapiProcess, kvapi_server

# Timeouts as in tests/resilience/test_redis_outage.py: a refusal stays fast.
ENV = {"KVAPI_REDIS_CLUSTER": "true", "KVAPI_REDIS_TIMEOUT_S": "0.5"}
ALLOWED = {200, 201, 204, 404, 503}
WRITES = ("PUT", "POST")


def unique_writes(thread: int, n: int) -> tuple[str, str, dict[str, str] | None]:
    key = f"c-{thread}-{n // 2}"
    if n % 2:
        return "GET", f"/v1/keys/{key}", None
    if n % 4 == 0:
        return "PUT", f"/v1/keys/{key}", {"value": key}
    return "POST", f"/write/{key}?value={key}", None


def written_key(result: Result) -> str:
    return result.path.split("?")[0].rsplit("/", 1)[1]


def acknowledged_writes(results: list[Result]) -> list[str]:
    return [
        written_key(r)
        for r in results
        if r.method in WRITES and r.status is not None and 200 <= r.status < 300
    ]


def unexpected(results: list[Result]) -> list[Result]:
    """Anything but a success, a 404 of a read, or a 503: a 500, another 5xx, no answer."""
    return [
        r for r in results if r.status not in ALLOWED or (r.status == 404 and r.method != "GET")
    ]


def missing(direct: "RedisCluster[str]", keys: list[str]) -> list[str]:
    return [key for key in keys if direct.get(f"kv:{key}") != key]


@contextmanager
def kvapi_on(cluster: LocalCluster) -> Iterator[tuple[KvapiProcess, "RedisCluster[str]"]]:
    """`kvapi serve` with 2 workers in cluster mode, and a plain client to check the data."""
    direct: RedisCluster[str] = RedisCluster.from_url(cluster.url, decode_responses=True)
    try:
        with kvapi_server(cluster.url, workers=2, env=ENV) as server:
            yield server, direct
    finally:
        direct.close()
