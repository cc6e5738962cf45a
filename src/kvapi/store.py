"""Everything that talks to Redis.

User data lives under USER_PREFIX and internal data (statistics, rate limits) under
INTERNAL_PREFIX, so a user key can never collide with an internal one and listing never shows
internal keys. Internal keys that one command or script reads together share a hash tag, so
that they live in one slot of a Redis Cluster (docs/adr/0097-cluster-key-layout.md). Every
call is bounded by the configured timeout and turns any Redis failure into
StoreUnavailable, which the API answers with a 503.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

from redis.asyncio import BlockingConnectionPool, Redis, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisClusterException, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.observability.attributes import DB_CLIENT_CONNECTION_STATE, ConnectionState

from kvapi import cluster_scan
from kvapi.cluster_scan import MAX_SCAN_CURSOR, InvalidCursor
from kvapi.observability.metrics import Metrics
from kvapi.settings import Settings
from kvapi.stale import StaleConnections, stale_reason

log = logging.getLogger("kvapi.store")

USER_PREFIX = "kv:"
INTERNAL_PREFIX = "_kvapi:"
CLIENTS_PREFIX = INTERNAL_PREFIX + "clients:"
GLOB_SPECIAL = str.maketrans({c: "\\" + c for c in "*?[]\\"})

# One round trip that tells a create from a replace, atomically.
PUT_SCRIPT = """
local existed = redis.call('EXISTS', KEYS[1])
if ARGV[2] == '' then
  redis.call('SET', KEYS[1], ARGV[1])
else
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
end
return existed
"""

# Active clients: per-minute HyperLogLogs merged over the last hour, per-hour ones over a day.
CLIENT_WINDOWS = {"1h": (60, 60), "1d": (3600, 24)}  # window -> (bucket seconds, buckets)
CLUSTER_RETRIES = 3

# What a Redis call can raise when Redis, or a cluster's topology, fails. redis-py's cluster
# errors about slots and nodes (SlotNotCoveredError, "no targets") are not RedisErrors.
STORE_ERRORS = (RedisError, RedisClusterException, OSError, TimeoutError)


class StoreUnavailable(Exception):
    """Redis could not answer in time; the caller should answer 503."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


@dataclass(frozen=True, slots=True)
class Entry:
    value: str
    ttl_seconds: int | None


@dataclass(frozen=True, slots=True)
class Page:
    keys: list[str]
    cursor: str | None


def client_key(bucket_seconds: int, bucket: int) -> str:
    """One bucket's HyperLogLog of active clients. A window's buckets share the hash tag
    {bucket_seconds}, so that PFCOUNT over them stays in one cluster slot."""
    return f"{CLIENTS_PREFIX}{{{bucket_seconds}}}:{bucket}"


def single_node_position(cursor: str | None) -> int:
    if cursor is None:
        return 0
    if not (cursor.isascii() and cursor.isdigit()) or int(cursor) > MAX_SCAN_CURSOR:
        raise InvalidCursor(f"cursor must be a number of at most {MAX_SCAN_CURSOR}")
    return int(cursor)


def single_node_pool(settings: Settings, url: str) -> BlockingConnectionPool:
    """The connections of one worker to a single Redis node.

    A blocking pool makes a burst of callers wait for a free connection instead of failing
    with "Too many connections"; one retry covers a connection that died while idle (Redis
    restarted), and timeouts are not retried so a 503 stays fast. Reads and writes get no
    socket timeout of their own (redis-py's default is 5 s): every call is bounded as a whole
    in Store._call (and in the rate limiter), so Redis is called only through those; a
    cancelled read or write makes redis-py drop the connection; and redis-py's per-command
    timers (a task per write) and periodic health-check PINGs (the retry already covers a
    dead idle connection) cost a tenth of a request's CPU (docs/PERFORMANCE.md, docs/adr/0061).
    """
    return BlockingConnectionPool.from_url(
        url,
        max_connections=settings.redis_pool_size,
        timeout=settings.redis_timeout_s,
        socket_timeout=None,
        socket_connect_timeout=settings.redis_timeout_s,
        retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
        decode_responses=True,
    )


def cluster_client(settings: Settings, url: str) -> RedisCluster:
    """A Redis Cluster client that discovers every node from the one the URL names.

    Each node gets its own connections, at most max_connections, beyond which redis-py raises
    MaxConnectionsError instead of waiting: the store's calls are gated at the pool size and
    the rate limiter's calls (one per admitted request) share the nodes, hence twice that.
    MOVED and ASK are followed inside redis-py; on a connection error or CLUSTERDOWN it
    reloads the slot map and retries, a few times only, since the whole call is bounded by
    the timeout anyway (docs/adr/0095-redis-cluster-mode.md).
    """
    return RedisCluster.from_url(
        url,
        max_connections=2 * settings.redis_pool_size,
        socket_timeout=None,
        socket_connect_timeout=settings.redis_timeout_s,
        retry=Retry(NoBackoff(), CLUSTER_RETRIES),
        decode_responses=True,
    )


def error_kind(error: BaseException) -> str:
    if isinstance(error, RedisTimeoutError | TimeoutError):
        return "timeout"
    if isinstance(error, RedisConnectionError | OSError):
        return "connection"
    return "response"


class Store:
    def __init__(self, settings: Settings, metrics: Metrics, url: str) -> None:
        self._timeout = settings.redis_timeout_s
        self._metrics = metrics
        self.redis: Redis | RedisCluster
        self._pool: BlockingConnectionPool | None = None
        # After a failover of a single node, pooled connections lead to the old primary and
        # must be dropped (kvapi.stale); a cluster client follows MOVED and reloads its slot
        # map by itself.
        self._stale: StaleConnections | None = None
        if settings.redis_cluster:
            self.redis = cluster_client(settings, url)
        else:
            self._pool = single_node_pool(settings, url)
            self.redis = Redis(connection_pool=self._pool)
            self._stale = StaleConnections(self._pool, metrics)
        # The pool hands a released connection to whichever caller asks first, so when more
        # calls wait than it has connections, one call can lose the race again and again (a
        # p99 of 0.3 to 1.2 s at 200 connections, docs/PERFORMANCE.md). Calls queue here
        # first come, first served instead, and the pool rarely has anyone to make wait.
        self._gate = asyncio.Semaphore(settings.redis_pool_size)
        self._put = self.redis.register_script(PUT_SCRIPT)

    async def close(self) -> None:
        await self.redis.aclose()
        if self._pool is not None:
            await self._pool.aclose()

    async def _call(
        self, command: str, operation: Callable[[], Awaitable[Any]], *, idempotent: bool = False
    ) -> Any:
        """Run one Redis operation, bounded as a whole; StoreUnavailable when it fails.

        A stale connection (a failover, kvapi.stale) is dropped, and an idempotent operation
        is tried once more on a fresh one within the same bound. A write is not: after a reset
        whether it was applied is unknown, and after a refusal the DNS name may still lead to
        the old node, so it fails (503 with Retry-After) and the client decides.
        """
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._timeout), self._gate:
                try:
                    return await operation()
                except (RedisError, OSError) as error:
                    reason = stale_reason(error)
                    if reason is None or self._stale is None:
                        raise
                    await self._stale.drop(reason, started)
                    if not idempotent:
                        raise
                return await operation()
        except STORE_ERRORS as error:
            kind = error_kind(error)
            self._metrics.redis_errors.labels(command, kind).inc()
            raise StoreUnavailable(kind) from error
        except Exception as error:
            # redis-py's cluster client changes its node and slot tables while a failover
            # goes on, and a call caught in between has been seen to fail with an error of
            # none of the classes above (a 500, once in about fifteen runs of
            # tests/resilience/test_cluster_failover.py). It is still Redis that failed the
            # call: 503 like any other, with the error logged so that it can be pinned down.
            if self._pool is not None:
                raise  # a single node: a bug of kvapi's, which must stay a 500
            self._metrics.redis_errors.labels(command, "response").inc()
            log.warning(
                "unexpected error from the Redis Cluster client",
                exc_info=error,
                extra={"fields": {"command": command, "error": type(error).__name__}},
            )
            raise StoreUnavailable("response") from error
        finally:
            self._metrics.redis_durations.observe((command,), time.perf_counter() - started)

    def _count(self, operation: str, result: str) -> None:
        self._metrics.operations.inc((operation, result))

    def pool_usage(self) -> tuple[int, int]:
        """(in use, idle) connections of this process, summed over the nodes of a cluster.

        A single node's pool has redis-py's public counts; a cluster node has none, so its
        connection lists are read (redis-py is pinned to a minor range for that, and
        tests/unit/test_dependency_guards.py fails on an upgrade that renames them).
        """
        if self._pool is not None:
            counts = {ConnectionState.USED.value: 0, ConnectionState.IDLE.value: 0}
            for count, attributes in self._pool.get_connection_count():
                counts[str(attributes[DB_CLIENT_CONNECTION_STATE])] += count
            return counts[ConnectionState.USED.value], counts[ConnectionState.IDLE.value]
        cluster = cast(RedisCluster, self.redis)  # no pool of its own: the cluster client
        in_use = idle = 0
        for node in cluster.get_nodes():
            free = set(node._free)
            idle += sum(1 for connection in free if connection.is_connected)
            in_use += sum(1 for connection in node._connections if connection not in free)
        return in_use, idle

    async def ping(self) -> None:
        """Redis answers; in a cluster every primary does, so that every slot is served
        (docs/adr/0095-redis-cluster-mode.md)."""
        if isinstance(self.redis, RedisCluster):
            cluster = self.redis
            await self._call(
                "ping", lambda: cluster.ping(target_nodes=RedisCluster.PRIMARIES), idempotent=True
            )
        else:
            await self._call("ping", self.redis.ping, idempotent=True)

    async def get_value(self, key: str) -> str | None:
        value: str | None = await self._call(
            "get", lambda: self.redis.get(USER_PREFIX + key), idempotent=True
        )
        self._count("read", "miss" if value is None else "hit")
        return value

    async def get(self, key: str) -> Entry | None:
        async def get_with_ttl() -> list[Any]:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.get(USER_PREFIX + key)
                pipe.ttl(USER_PREFIX + key)
                result: list[Any] = await pipe.execute()
                return result

        value, ttl = await self._call("get", get_with_ttl, idempotent=True)
        self._count("read", "miss" if value is None else "hit")
        if value is None:
            return None
        return Entry(value=value, ttl_seconds=ttl if ttl >= 0 else None)

    async def put(self, key: str, value: str, ttl_seconds: int | None = None) -> bool:
        """Store the value; True when the key was created, False when replaced."""
        ttl = "" if ttl_seconds is None else str(ttl_seconds)
        existed = await self._call(
            "set", lambda: self._put(keys=[USER_PREFIX + key], args=[value, ttl])
        )
        self._count("write", "replaced" if existed else "created")
        self._metrics.written_bytes.inc((), len(value.encode()))
        return not existed

    async def delete(self, key: str) -> bool:
        deleted: int = await self._call("del", lambda: self.redis.delete(USER_PREFIX + key))
        self._count("delete", "deleted" if deleted else "missing")
        return deleted > 0

    async def scan(self, prefix: str, cursor: str | None, limit: int) -> Page:
        """One page of keys; every key present throughout a listing appears at least once
        (kvapi.cluster_scan says when a cluster listing may miss one). InvalidCursor when the
        cursor is not one this listing returned."""
        pattern = USER_PREFIX + prefix.translate(GLOB_SPECIAL) + "*"
        operation: Callable[[], Awaitable[tuple[list[str], str | None]]]
        if isinstance(self.redis, RedisCluster):
            cluster = self.redis
            start = cluster_scan.ClusterCursor.decode(cursor) if cursor else None
            operation = lambda: cluster_scan.scan_page(cluster, pattern, start, limit)  # noqa: E731
        else:
            position = single_node_position(cursor)
            operation = lambda: self._scan_node(pattern, position, limit)  # noqa: E731
        keys, next_cursor = await self._call("scan", operation, idempotent=True)
        self._count("list", "ok")
        return Page(keys=[key[len(USER_PREFIX) :] for key in keys], cursor=next_cursor)

    async def _scan_node(
        self, pattern: str, position: int, limit: int
    ) -> tuple[list[str], str | None]:
        keys: list[str] = []
        while True:
            position, batch = await self.redis.scan(
                position, match=pattern, count=max(limit - len(keys), 10)
            )
            keys.extend(map(str, batch))
            if position == 0 or len(keys) >= limit:
                return keys, str(position) if position else None

    async def record_clients(self, identities: list[str], now: float) -> None:
        async def add() -> None:
            async with self.redis.pipeline(transaction=False) as pipe:
                for bucket_seconds, buckets in CLIENT_WINDOWS.values():
                    bucket = int(now // bucket_seconds)
                    key = client_key(bucket_seconds, bucket)
                    pipe.pfadd(key, *identities)
                    pipe.expire(key, bucket_seconds * (buckets + 1))
                await pipe.execute()

        await self._call("pfadd", add)

    async def count_clients(self, now: float) -> dict[str, int]:
        async def count() -> dict[str, int]:
            async with self.redis.pipeline(transaction=False) as pipe:
                for bucket_seconds, buckets in CLIENT_WINDOWS.values():
                    last = int(now // bucket_seconds)
                    keys = [
                        client_key(bucket_seconds, b) for b in range(last - buckets + 1, last + 1)
                    ]
                    # redis-py's cluster pipeline refuses pfcount() by name (it cannot know
                    # the keys share a slot); the command itself is fine with the hash tag.
                    pipe.execute_command("PFCOUNT", *keys)
                counts: list[int] = await pipe.execute()
            return dict(zip(CLIENT_WINDOWS, counts, strict=True))

        counts: dict[str, int] = await self._call("pfcount", count, idempotent=True)
        return counts
