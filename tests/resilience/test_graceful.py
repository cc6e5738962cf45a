"""Graceful reload (SIGHUP) and stop (SIGTERM) under load: every accepted request gets its answer.

"Accepted" is what the service says: a request with an access log line. Each client request
carries a unique X-Request-ID, so the test checks, one by one, that the client received a
non-5xx response for every request the service accepted. Connections are not reused, so a
client never sends on a keep-alive connection that a stopping worker has just closed.

Requests that never reached the application are counted and reported, not hidden: during a
reload a few connections are reset while the old workers shut down (docs/reliability.md).
"""

import signal
import time

from testbed.load import THREADS, Load, Result, read_write, running, summary
from testbed.net import wait_until
from testbed.processes import KvapiProcess, kvapi_server
from tests.resilience.processes import wait_for_workers, workers
from tests.resilience.report import record


def accepted_ids(server: KvapiProcess) -> set[str]:
    return {str(r["request_id"]) for r in server.log_records() if r["logger"] == "kvapi.access"}


def split(results: list[Result], accepted: set[str]) -> tuple[list[Result], list[Result]]:
    """(accepted requests that failed, requests that never reached the app)."""
    failed = [r for r in results if r.request_id in accepted and not r.ok]
    never = [r for r in results if r.request_id not in accepted]
    return failed, never


def test_reload_then_stop_under_load(redis_url: str) -> None:
    with kvapi_server(redis_url, workers=2) as server:
        master = server.process.pid
        wait_for_workers(server, 2)
        load = Load(server.base_url, read_write, keep_alive=False)
        with running(load):
            load.wait_for(50)
            old = workers(master)
            hup_at = time.monotonic()
            server.process.send_signal(signal.SIGHUP)
            wait_until(lambda: not workers(master) & old, 30, "the old workers to exit")
            wait_for_workers(server, 4)  # the two new ones have started too
            reloaded_after = time.monotonic() - hup_at
            load.wait_for(50, since=hup_at + reloaded_after)  # served by the new workers
            term_at = time.monotonic()
            exit_code = server.stop(signal.SIGTERM)
            stopped_after = time.monotonic() - term_at
            load.wait_for(THREADS, since=term_at + stopped_after)  # knocks on a closed port

        assert exit_code == 0
        accepted = accepted_ids(server)
        reload, stop = load.between(0, term_at), load.between(term_at)
        failed_reload, lost_reload = split(reload, accepted)
        failed_stop, refused_stop = split(stop, accepted)
        assert not failed_reload, summary(failed_reload)
        assert not failed_stop, summary(failed_stop)
        # a client thread has one request in flight: at most THREADS can be cut off
        assert len(lost_reload) <= THREADS, summary(lost_reload)
        assert all(r.status is None for r in lost_reload + refused_stop)
        after_reload = load.between(hup_at + reloaded_after, term_at)
        assert after_reload and all(r.ok for r in after_reload), summary(after_reload)
    record(
        "graceful",
        {
            "command": ".venv/bin/pytest tests/resilience/test_graceful.py",
            "accepted_requests": len(accepted),
            "accepted_failed": len(failed_reload) + len(failed_stop),
            "reload": summary(reload),
            "reload_not_accepted": summary(lost_reload),
            "reload_new_workers_serving_after_s": round(reloaded_after, 3),
            "after_sigterm": summary(stop),
            "after_sigterm_never_accepted": len(refused_stop),
            "sigterm_to_exit_s": round(stopped_after, 3),
        },
    )
