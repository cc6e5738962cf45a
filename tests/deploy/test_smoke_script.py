""".github/scripts/smoke-test against the real `kvapi serve`: it passes on a healthy service and
fails when the service refuses what it must accept (here, writes with the wrong token)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import pytest

from testbed.processes import KvapiProcess, kvapi_server
from testbed.tools import REPO, require_binary

SMOKE_TEST = REPO / ".github" / "scripts" / "smoke-test"
TOKEN = "smoke-token"  # noqa: S105 - a test value, no secret


@pytest.fixture(scope="module")
def service(redis_url: str) -> Iterator[KvapiProcess]:
    require_binary("curl", "apt-get install curl")
    with kvapi_server(redis_url, workers=1, env={"KVAPI_WRITE_TOKENS": TOKEN}) as server:
        yield server


def smoke(service: KvapiProcess, token: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SMOKE_TEST), service.base_url],
        env={**os.environ, "SMOKE_WRITE_TOKEN": token},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_smoke_test_passes_on_a_healthy_service(service: KvapiProcess) -> None:
    result = smoke(service, TOKEN)
    assert result.returncode == 0, result.stdout + result.stderr
    checked = [line for line in result.stdout.splitlines() if line.startswith("ok: ")]
    assert len(checked) == 6, result.stdout


def test_smoke_test_fails_when_writes_are_refused(service: KvapiProcess) -> None:
    result = smoke(service, "not-" + TOKEN)
    assert result.returncode != 0
    assert "ok: /readyz" in result.stdout
    assert "PUT" not in result.stdout
