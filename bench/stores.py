"""The Redis servers of a benchmark run: one node, and a 3-shard cluster when a variant asks.

Both get the same data before every measured run, so that writes of earlier runs never grow
the next one's work.
"""

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import redis
from redis.cluster import RedisCluster

from bench.variants import Variant
from testbed.cluster import local_cluster

SEED = {"example_key": "hello", "kv:example_key": "hello"}  # (b), (c) and (a)'s key prefix


@dataclass(frozen=True)
class Stores:
    single: str
    cluster: str | None = None

    def url_for(self, variant: Variant) -> str:
        if not variant.cluster:
            return self.single
        if self.cluster is None:
            raise ValueError(f"{variant.name} needs the cluster, which this run did not start")
        return self.cluster

    def seed(self) -> None:
        client = redis.Redis.from_url(self.single)
        client.flushdb()
        client.mset(SEED)
        client.close()
        if self.cluster is not None:
            cluster: RedisCluster = RedisCluster.from_url(self.cluster)
            cluster.flushall(target_nodes=RedisCluster.PRIMARIES)
            cluster.mset_nonatomic(SEED)  # the keys live in different slots
            cluster.close()


@contextlib.contextmanager
def cluster_when(needed: bool) -> Iterator[str | None]:
    """The URL of a started local cluster (3 primaries, 3 replicas), or None."""
    if not needed:
        yield None
        return
    with local_cluster() as cluster:
        yield cluster.url
