"""The gunicorn master's worker processes, read from /proc (Linux), and their readiness."""

from pathlib import Path

from testbed.net import wait_until
from testbed.processes import KvapiProcess


def workers(master_pid: int) -> set[int]:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    try:
        return {int(pid) for pid in children.read_text().split()}
    except FileNotFoundError:
        return set()  # the master is gone


def started(server: KvapiProcess) -> int:
    return sum(1 for r in server.log_records() if r["event"] == "Application startup complete.")


def wait_for_workers(server: KvapiProcess, count: int) -> None:
    """Until `count` workers in all have finished their startup (the first /healthz needs one)."""
    wait_until(lambda: started(server) >= count, 30, f"{count} started workers")
