"""SIGKILL of one worker under load: the service keeps serving and the master replaces it."""

import os
import signal
import time

from testbed.load import THREADS, Load, read_write, running, summary
from testbed.net import wait_until
from testbed.processes import kvapi_server
from tests.resilience.processes import wait_for_workers, workers
from tests.resilience.report import record


def test_sigkill_of_a_worker_loses_at_most_its_requests_in_flight(redis_url: str) -> None:
    with kvapi_server(redis_url, workers=2) as server:
        master = server.process.pid
        wait_for_workers(server, 2)
        load = Load(server.base_url, read_write)
        with running(load):
            load.wait_for(100)
            victim = min(workers(master))
            killed_at = time.monotonic()
            os.kill(victim, signal.SIGKILL)
            wait_until(
                lambda: victim not in workers(master) and len(workers(master)) == 2,
                15,
                "a replacement worker",
            )
            replaced_after = time.monotonic() - killed_at
            load.wait_for(100, since=killed_at + replaced_after)

        failed = [r for r in load.results if not r.ok]
        # Each client thread holds one keep-alive connection: what it had in flight on the
        # killed worker, or sent on that connection before seeing it closed, is lost; so at most
        # one request per thread, and only around the kill.
        assert len(failed) <= THREADS, summary(failed)
        assert all(r.status is None and r.started <= killed_at + 0.1 for r in failed)
        after = load.between(killed_at + 0.1)
        assert after and all(r.ok for r in after), summary(after)
        assert any(f"(pid:{victim})" in str(r["event"]) for r in server.log_records())
    record(
        "worker_kill",
        {
            "command": ".venv/bin/pytest tests/resilience/test_worker_kill.py",
            "workers": 2,
            "client_threads": THREADS,
            "failed": len(failed),
            "failed_in_flight_at_kill": sum(r.started <= killed_at for r in failed),
            "failures": [r.error or r.status for r in failed],
            "replacement_worker_after_s": round(replaced_after, 3),
            "all": summary(load.results),
            "after_kill": summary(after),
        },
    )
