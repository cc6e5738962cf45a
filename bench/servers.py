"""Starting and stopping the variants' servers (and pinning them to CPUs)."""

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.variants import Variant
from testbed.net import free_port
from testbed.processes import KvapiProcess, http_ok, scrubbed_environment, supervised

# In the pod /tmp is memory-backed (emptyDir medium Memory): metrics files, gunicorn heartbeat
# files and, here, the servers' logs go to tmpfs too. On a disk-backed /tmp a busy disk stalls
# the event loop on those writes and the tail latency measures the disk.
MEMORY_TMP = "/dev/shm" if os.path.isdir("/dev/shm") else None


def pinned(command: list[str], cpus: str | None) -> list[str]:
    """Children inherit the affinity, so pinning gunicorn pins its workers too."""
    return command if cpus is None else ["taskset", "--cpu-list", cpus, *command]


def clean_environment() -> dict[str, str]:
    return scrubbed_environment() | ({"TMPDIR": MEMORY_TMP} if MEMORY_TMP else {})


@dataclass
class RunningServer(KvapiProcess):
    variant: Variant


@contextlib.contextmanager
def running(
    variant: Variant,
    workers: int,
    redis_url: str,
    cpus: str | None,
    log_dir: Path,
    otlp_endpoint: str | None = None,
) -> Iterator[RunningServer]:
    port = free_port()
    environment = clean_environment() | variant.environment(port, workers, redis_url, otlp_endpoint)
    log_path = log_dir / f"{variant.name}-{workers}w.log"
    command = pinned(variant.command(port, workers), cpus)
    ready = http_ok(f"http://127.0.0.1:{port}/")
    with supervised(
        variant.name, command, log_path, ready, env=environment, start_timeout=60
    ) as process:
        yield RunningServer(process, port, log_path, variant)
