"""The real `kvapi serve` as a subprocess, talking HTTP on a free loopback port."""

import contextlib
import os
import pty
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson

from testbed.net import free_port, wait_until

# Settings of the caller's shell that must not reach a server under test or measurement
# (e.g. KVAPI_ACCESS_LOG=false, a stray OTLP endpoint, another run's metrics directory).
LEAKY_PREFIXES = ("KVAPI_", "PROMETHEUS_MULTIPROC_DIR", "OTEL_")


def scrubbed_environment() -> dict[str, str]:
    """This process's environment without the service's own settings."""
    return {key: value for key, value in os.environ.items() if not key.startswith(LEAKY_PREFIXES)}


@contextlib.contextmanager
def terminal_into(log_path: Path) -> Iterator[int]:
    """A pseudo-terminal whose output is copied into log_path: yields the fd a child writes to
    (what a process started from a person's shell has as stdout)."""
    controller, child_side = pty.openpty()
    copier = threading.Thread(target=_copy_until_closed, args=(controller, log_path), daemon=True)
    copier.start()
    try:
        yield child_side
    finally:
        os.close(child_side)
        copier.join(timeout=10)  # ends when the last writer (the child) has closed its side


def _copy_until_closed(controller: int, log_path: Path) -> None:
    with log_path.open("wb") as log, contextlib.suppress(OSError):  # EIO: every writer is gone
        while chunk := os.read(controller, 65536):
            log.write(chunk)
            log.flush()
    os.close(controller)


@contextlib.contextmanager
def supervised(
    name: str,
    args: list[str],
    log_path: Path,
    ready: Callable[[], bool],
    env: dict[str, str] | None = None,
    start_timeout: float = 30,
    stop_timeout: float = 30,
    terminal: bool = False,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a process (stdout and stderr into log_path, through a terminal if asked) until the
    block ends.

    It must become ready, or the start fails with its log; at the end it gets SIGTERM and,
    past stop_timeout, SIGKILL, so no test leaves a process behind.
    """
    with contextlib.ExitStack() as stack:
        if terminal:
            tty = stack.enter_context(terminal_into(log_path))
            process = subprocess.Popen(args, stdout=tty, stderr=subprocess.STDOUT, env=env)
        else:
            with log_path.open("wb") as log:
                process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            wait_until(
                lambda: ready() or process.poll() is not None, start_timeout, f"{name} ready"
            )
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited at start:\n{log_path.read_text()[-3000:]}")
            yield process
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=stop_timeout)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def http_ok(url: str) -> Callable[[], bool]:
    def ready() -> bool:
        try:
            return httpx.get(url, timeout=0.5).status_code == 200
        except httpx.HTTPError:
            return False

    return ready


@dataclass
class KvapiProcess:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_lines(self) -> list[str]:
        return self.log_path.read_text().splitlines()

    def log_records(self) -> list[dict[str, object]]:
        return [orjson.loads(line) for line in self.log_lines()]

    def healthy(self) -> bool:
        return http_ok(self.base_url + "/healthz")()

    def stop(self, signum: signal.Signals = signal.SIGTERM, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signum)
        return self.process.wait(timeout=timeout)


@contextlib.contextmanager
def kvapi_server(
    redis_url: str | None,
    workers: int = 2,
    env: dict[str, str] | None = None,
    terminal: bool = False,
) -> Iterator[KvapiProcess]:
    """Start `kvapi serve` (stdout and stderr into one log file, through a pseudo-terminal when
    `terminal`, as from a person's shell) and stop it afterwards."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="kvapi-serve-") as tmp:
        settings = {
            "KVAPI_PORT": str(port),
            "KVAPI_WORKERS": str(workers),
            "KVAPI_DATA_DIR": str(Path(tmp) / "data"),
            "KVAPI_GRACEFUL_TIMEOUT_S": "10",
        }
        if redis_url:
            settings["KVAPI_REDIS_URL"] = redis_url
        environment = scrubbed_environment() | settings | (env or {})
        log_path = Path(tmp) / "kvapi.log"
        command = [sys.executable, "-m", "kvapi.server", "serve"]
        ready = http_ok(f"http://127.0.0.1:{port}/healthz")
        with supervised(
            "kvapi", command, log_path, ready, env=environment, terminal=terminal
        ) as process:
            yield KvapiProcess(process, port, log_path)
