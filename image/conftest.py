"""Fixtures of `make image-test`: the image built once, a host Redis, a running container."""

import dataclasses
import json
from collections.abc import Iterator

import pytest

from image.harness import Build, Container, build_image, run_container, stand_in_base
from testbed.redis import RedisProcess, redis_server
from testbed.tools import REPO, require_binary

REPORT = REPO / "reports" / "image-build.json"
BUILT = pytest.StashKey[Build]()


@pytest.fixture(scope="session")
def build(pytestconfig: pytest.Config) -> Build:
    for tool in ("podman", "buildah", "runc", "debootstrap"):
        require_binary(tool, f"apt install {tool}")
    built = build_image(stand_in_base())
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(json.dumps(dataclasses.asdict(built), indent=2) + "\n")
    pytestconfig.stash[BUILT] = built
    return built


@pytest.fixture(scope="session")
def redis() -> Iterator[RedisProcess]:
    """Debian's redis-server 7, the major version compose.yaml runs."""
    server = require_binary("redis-server", "apt install redis-server")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KVAPI_TEST_REDIS_SERVER", server)
        with redis_server() as process:
            yield process


@pytest.fixture(scope="session")
def container(build: Build, redis: RedisProcess) -> Iterator[Container]:
    with run_container(build.image, redis.url) as running:
        yield running


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    built = config.stash.get(BUILT, None)
    if built is not None:
        terminalreporter.write_line(
            f"{built.image}: built in {built.seconds:.0f} s, {built.size_bytes / 1e6:.0f} MB"
            f" (base {built.base_size_bytes / 1e6:.0f} MB); details in {REPORT.relative_to(REPO)}"
        )
