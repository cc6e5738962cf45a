"""Redis stopped, then frozen, under load: fast 503s, never a 500 or a hang, then recovery."""

import time
from pathlib import Path

import httpx

from testbed.load import Load, read_write, running, summary
from testbed.net import wait_until
from testbed.processes import kvapi_server
from testbed.redis import RedisProcess
from tests.resilience.report import record

TIMEOUT_S = 0.5
# The limiter runs too (a limit nobody reaches), so its fail-open path is under test as well:
# at worst a capped limiter wait (0.25 s) plus the store's timeout, plus scheduling delays.
SLOWEST_S = TIMEOUT_S + 0.25 + 0.35
ENV = {"KVAPI_REDIS_TIMEOUT_S": str(TIMEOUT_S), "KVAPI_RATE_LIMIT_READS": "100000/second"}
EXPECTED = {200, 201, 404, 503}
OUTAGE_S, RECOVERY_S = 2.0, 3.0


def freeze(redis: RedisProcess) -> None:
    """SIGSTOP, then wait until the kernel has stopped it: delivery is not instant."""
    redis.pause()
    assert redis.process is not None
    stat = Path(f"/proc/{redis.process.pid}/stat")
    wait_until(lambda: stat.read_text().rsplit(")", 1)[1].split()[0] == "T", 5, "SIGSTOP")


def probe_during_outage(base_url: str) -> tuple[float, float]:
    """Probe liveness and readiness through the outage; return its (start, end)."""
    began = time.monotonic()
    while time.monotonic() - began < OUTAGE_S:
        assert httpx.get(base_url + "/healthz", timeout=2).status_code == 200
        assert httpx.get(base_url + "/readyz", timeout=2).status_code == 503
        time.sleep(0.2)
    return began, time.monotonic()


def check_outage(load: Load, window: tuple[float, float]) -> dict[str, object]:
    # requests still waiting when Redis came back may succeed: only those answered before count
    phase = [r for r in load.between(*window) if r.finished <= window[1]]
    assert phase and {r.status for r in phase} == {503}, summary(phase)
    return summary(phase)


def check_recovery(load: Load, began: float) -> dict[str, object]:
    phase = load.between(began, began + RECOVERY_S)
    succeeded = [r for r in phase if r.status is not None and r.status < 500]
    first = min((r.finished for r in succeeded), default=float("inf")) - began
    assert first < 5, f"no success within 5 s of Redis returning: {summary(phase)}"
    assert len(succeeded) >= 0.99 * len(phase), summary(phase)
    return {**summary(phase), "first_success_after_s": round(first, 3)}


def test_outage_under_load(private_redis: RedisProcess) -> None:
    with kvapi_server(private_redis.url, workers=2, env=ENV) as server:
        load = Load(server.base_url, read_write, timeout_s=10)
        with running(load):
            load.wait_for(50)  # the healthy phase
            private_redis.stop()
            stopped = probe_during_outage(server.base_url)
            private_redis.start()
            restarted = time.monotonic()
            time.sleep(RECOVERY_S)
            freeze(private_redis)
            frozen = probe_during_outage(server.base_url)
            private_redis.resume()
            resumed = time.monotonic()
            time.sleep(RECOVERY_S)

        healthy = load.between(0, stopped[0] - 0.1)
        assert healthy and {r.status for r in healthy} <= {200, 201, 404}, summary(healthy)
        figures = {
            "stopped": check_outage(load, stopped),
            "after_restart": check_recovery(load, restarted),
            "frozen": check_outage(load, frozen),
            "after_resume": check_recovery(load, resumed),
            "all": summary(load.results),
        }
        assert {r.status for r in load.results} <= EXPECTED, figures["all"]  # no 500, no drop
        assert max(r.seconds for r in load.results) < SLOWEST_S, figures["all"]
        records = server.log_records()
        events = [r["event"] for r in records]
        assert "rate limiter unavailable: failing open" in events
        assert "rate limiter recovered" in events
        assert not [r for r in records if r["level"] in ("error", "critical")]
    record(
        "redis_outage",
        {
            "command": ".venv/bin/pytest tests/resilience/test_redis_outage.py",
            "redis_timeout_s": TIMEOUT_S,
            **figures,
        },
    )
