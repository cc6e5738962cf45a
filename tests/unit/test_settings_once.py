"""`kvapi serve` reads its settings once, in the master, and hands that object down."""

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from kvapi import server
from kvapi.settings import Settings

URL = "redis://127.0.0.1:1/0"  # never dialled


def test_the_embedded_servers_url_travels_in_the_settings_not_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    handed_down: list[Settings] = []

    @contextlib.contextmanager
    def embedded(data_dir: Path) -> Iterator[str]:
        yield URL

    def run(self: server.Server) -> None:
        handed_down.append(self.settings)

    def no_settings(*args: object, **kwargs: object) -> Settings:
        raise AssertionError("settings read again after the master's")

    monkeypatch.delenv("KVAPI_REDIS_URL", raising=False)
    # serve() points this at a directory of its own and removes it: restored after the test.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    monkeypatch.setattr(server, "embedded_redis", embedded)
    monkeypatch.setattr(server.Server, "run", run)
    settings = Settings(data_dir=str(tmp_path), header_timeout_s=2.5)
    monkeypatch.setattr(server, "Settings", no_settings)
    server.serve(settings)

    (master,) = handed_down
    assert master.redis_url == URL
    assert master.header_timeout_s == 2.5  # the rest of the master's settings, unchanged
    assert "KVAPI_REDIS_URL" not in os.environ
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    assert server.Server(master).load().state.settings is master  # what each worker serves
