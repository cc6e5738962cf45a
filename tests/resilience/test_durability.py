"""Redis with AOF killed (SIGKILL) during a write load: are acknowledged writes still there?

Every write the service answered with a 2xx is checked after Redis restarts from its AOF.
With appendfsync always none may be lost. With everysec the test reports the loss: a SIGKILL of
the Redis process alone loses nothing that reached the kernel's page cache; the everysec window
(up to about 1 s, 2 s when fsync stalls) is lost only when the machine itself goes down, which
this test cannot do (docs/reliability.md).
"""

import itertools
import time

import pytest
import redis

from testbed.load import THREADS, Load, Result, running, summary
from testbed.processes import kvapi_server
from testbed.redis import redis_server
from tests.resilience.report import record

_run = itertools.count()


def unique_writes(thread: int, n: int) -> tuple[str, str, dict[str, str]]:
    key = f"durable-{next(_run)}-{thread}-{n}"
    return "PUT", f"/v1/keys/{key}", {"value": key}


def acknowledged(results: list[Result]) -> list[str]:
    return [r.path.rsplit("/", 1)[1] for r in results if r.status in (200, 201)]


@pytest.mark.parametrize("fsync", ["always", "everysec"])
def test_acknowledged_writes_survive_a_redis_kill(fsync: str) -> None:
    config = {"appendonly": "yes", "appendfsync": fsync}
    env = {"KVAPI_REDIS_TIMEOUT_S": "0.5"}
    with redis_server(config) as server, kvapi_server(server.url, workers=2, env=env) as kvapi:
        load = Load(kvapi.base_url, unique_writes)
        with running(load):
            load.wait_for(100)
            killed_at = time.monotonic()
            server.kill()
            load.wait_for(THREADS, since=killed_at)  # writes that met the dead Redis
        server.start()  # same port, same directory: it loads the AOF
        acked = acknowledged(load.results)
        client: redis.Redis[str] = redis.Redis.from_url(server.url, decode_responses=True)
        with client.pipeline(transaction=False) as pipe:
            for key in acked:
                pipe.get("kv:" + key)
            values = pipe.execute()
        lost = [key for key, value in zip(acked, values, strict=True) if value != key]
        client.close()
        acked_last_second = [
            r for r in load.between(killed_at - 1, killed_at) if r.status in (200, 201)
        ]
        if fsync == "always":
            assert not lost, f"{len(lost)} acknowledged writes lost: {lost[:5]}"
        assert acked, summary(load.results)
    record(
        f"durability_{fsync}",
        {
            "command": ".venv/bin/pytest tests/resilience/test_durability.py",
            "appendfsync": fsync,
            "acknowledged_writes": len(acked),
            "acknowledged_in_last_second_before_kill": len(acked_last_second),
            "lost": len(lost),
            "load": summary(load.results),
        },
    )
