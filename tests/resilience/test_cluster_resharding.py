"""Slots move between primaries (MIGRATE, so clients meet MOVED and ASK) under bounded load:
no 5xx other than 503, and every key, preloaded or acknowledged during the move, is intact."""

import time

from redis.crc import key_slot

from testbed.cluster import local_cluster
from testbed.load import Load, running, summary
from testbed.net import wait_until
from tests.resilience.cluster_load import (
    acknowledged_writes,
    kvapi_on,
    missing,
    unexpected,
    unique_writes,
)
from tests.resilience.report import record

PRELOADED = 2000
MOVES = 2  # slots go from the first primary to the second, then on to the third
SLOTS_PER_MOVE = 600


def test_resharding_under_load() -> None:
    with local_cluster() as cluster, kvapi_on(cluster) as (server, direct):
        preloaded = [f"pre-{n}" for n in range(PRELOADED)]
        pipe = direct.pipeline()
        for key in preloaded:
            pipe.set(f"kv:{key}", key)
        pipe.execute()
        before = cluster.owners()
        load = Load(server.base_url, unique_writes, timeout_s=10)
        with running(load):
            wait_until(lambda: len(load.results) >= 50, 20, "load under way")
            began = time.monotonic()
            first, second, third = cluster.primaries()
            cluster.reshard(first, second, SLOTS_PER_MOVE)
            cluster.reshard(second, third, SLOTS_PER_MOVE)
            wait_until(cluster.healthy, 20, "the cluster settled after resharding")
            ended = time.monotonic()
            wait_until(lambda: len(load.between(ended)) >= 100, 20, "load after resharding")
        after = cluster.owners()
        moved = {slot for slot, owner in before.items() if after[slot] != owner}
        during = load.between(began, ended)
        acknowledged = acknowledged_writes(load.results)
        figures = {
            "slots_moved": len(moved),
            "reshard_seconds": round(ended - began, 3),
            "during": summary(during),
            "whole_run": summary(load.results),
            "acknowledged_writes": len(acknowledged),
            "acknowledged_writes_in_moved_slots": sum(
                key_slot(f"kv:{key}".encode()) in moved for key in acknowledged
            ),
        }
        record("cluster_resharding", figures)
        assert len(moved) >= SLOTS_PER_MOVE, figures
        assert during, figures  # the load ran while slots moved
        assert not unexpected(load.results), summary(unexpected(load.results))
        assert figures["acknowledged_writes_in_moved_slots"], figures
        assert missing(direct, acknowledged) == [], figures
        assert missing(direct, preloaded) == [], figures
