"""Where kvapi builds on a dependency beyond its plainly public API, a test that fails by name
on the upgrade that changes it (pyproject.toml pins uvicorn and uvicorn-worker to the minor
versions these were checked against; test_protocol.py and tests/resilience/test_slow_clients.py
prove the behaviour itself)."""

import importlib
import inspect
import logging
import os
from collections.abc import Iterator

import pytest
from gunicorn.config import Config as GunicornConfig
from gunicorn.glogging import Logger
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from kvapi.protocol import GuardedHttpToolsProtocol
from kvapi.server import Server, Worker
from kvapi.settings import Settings

# uvicorn's internal protocol: the methods kvapi.protocol overrides, with the parameters it
# passes on, and what it reads from the instance and the module.
HOOKS = {
    "__init__": ["self", "config", "server_state", "app_state", "_loop"],
    "connection_made": ["self", "transport"],
    "connection_lost": ["self", "exc"],
    "data_received": ["self", "data"],
    "on_message_begin": ["self"],
    "on_headers_complete": ["self"],
}


def test_every_uvicorn_hook_the_guarded_protocol_overrides_is_unchanged() -> None:
    overridden = {
        name
        for name, member in vars(GuardedHttpToolsProtocol).items()
        if callable(member) and hasattr(HttpToolsProtocol, name)
    }
    assert overridden == set(HOOKS), "kvapi.protocol overrides a hook this test does not guard"
    for name, parameters in HOOKS.items():
        signature = inspect.signature(getattr(HttpToolsProtocol, name))
        assert list(signature.parameters) == parameters, f"uvicorn changed {name}{signature}"


def test_uvicorn_still_answers_the_statuses_the_guards_send() -> None:
    assert STATUS_LINE[408].startswith(b"HTTP/1.1 408 ")
    assert STATUS_LINE[431].startswith(b"HTTP/1.1 431 ")


@pytest.fixture
def uvicorn_loggers() -> Iterator[None]:
    """UvicornWorker hands uvicorn's loggers to gunicorn's handlers: undone after the test."""
    loggers = [logging.getLogger(name) for name in ("uvicorn.error", "uvicorn.access")]
    saved = [(lg.handlers[:], lg.level, lg.propagate) for lg in loggers]
    yield
    for lg, (handlers, level, propagate) in zip(loggers, saved, strict=True):
        lg.handlers, lg.level, lg.propagate = handlers, level, propagate


def test_the_worker_serves_with_the_masters_settings(uvicorn_loggers: None) -> None:
    """gunicorn builds the worker from the application in the master (uvicorn-worker's
    CONFIG_KWARGS and `config`, uvicorn's Config(http=...)): the limits come from the settings
    the master holds, not from the environment."""
    settings = Settings(
        redis_url="redis://127.0.0.1:1/0", header_timeout_s=3.5, max_header_bytes=4321
    )
    master = Server(settings)
    worker = Worker(0, os.getpid(), [], master, 30, master.cfg, Logger(GunicornConfig()))
    protocol = worker.config.http
    assert isinstance(protocol, type) and issubclass(protocol, GuardedHttpToolsProtocol)
    assert (protocol.header_timeout_s, protocol.max_header_bytes) == (3.5, 4321)
    assert worker.config.get_loop_factory() is not None  # uvloop, which Worker.run starts
    assert not worker.config.server_header


def test_redis_cluster_nodes_keep_the_connection_lists_pool_usage_reads() -> None:
    # Store.pool_usage in cluster mode: a ClusterNode has no public connection counts.
    from redis.asyncio.cluster import ClusterNode

    node = ClusterNode("127.0.0.1", 1, max_connections=2)
    assert isinstance(node._connections, list)
    assert hasattr(node._free, "popleft"), "ClusterNode._free is no longer a deque"
    assert {"_connections", "_free"} <= set(ClusterNode.__slots__)


def test_limits_redis_bridge_keeps_the_attributes_the_shared_storage_sets() -> None:
    # kvapi.ratelimit.SharedClientStorage points limits' bridge at the store's own client.
    source = inspect.getsource(importlib.import_module("limits.aio.storage.redis.redispy"))
    for attribute in ("self.storage", "self.connection_getter"):
        assert attribute in source, f"limits' redis-py bridge no longer sets {attribute}"
