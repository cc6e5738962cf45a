"""Building and running the kvapi image with Debian's buildah and podman (no Docker engine here).

All images live in a container storage of their own (vfs driver, its own root), so that this
harness never clashes with other podman users of the machine, and the stand-in base image kept
there is the cache that makes the second `make image-test` fast.
"""

import contextlib
import fcntl
import hashlib
import json
import subprocess
import tempfile
import time
import tomllib
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from testbed.net import free_port, wait_until
from testbed.tools import REPO

STORAGE = [
    "--storage-driver", "vfs",
    "--root", "/var/lib/kvapi-image/storage",
    "--runroot", "/run/kvapi-image",
]  # fmt: skip
# This sandbox refuses podman's default rlimits; these are what it allows (../shared/TOOLS.md).
ULIMITS = ["--ulimit", "nofile=4096:4096", "--ulimit", "nproc=4096:4096"]

STAND_IN_SCRIPT = REPO / "image" / "stand-in-base.sh"
STAND_IN_REPOSITORY = "localhost/kvapi-stand-in-base"
# The extra CAs the script copies in: a change of them must rebuild the stand-in.
HOST_EXTRA_CAS = Path("/usr/local/share/ca-certificates")
# The image configuration of python:3.12-slim that the Dockerfile relies on.
STAND_IN_CONFIG = [
    "ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin",
    "ENV LANG=C.UTF-8",
    'CMD ["python3"]',
]
IMAGE = "localhost/kvapi:image-test"


def run_tool(
    tool: str, *args: str, timeout: float = 120, check: bool = True
) -> subprocess.CompletedProcess[str]:
    command = [tool, *STORAGE, *(["--runtime", "runc"] if tool == "podman" else []), *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def podman(*args: str, timeout: float = 120) -> str:
    return run_tool("podman", *args, timeout=timeout).stdout


def buildah(*args: str, timeout: float = 900) -> str:
    return run_tool("buildah", *args, timeout=timeout).stdout


def image_exists(name: str) -> bool:
    return run_tool("podman", "image", "exists", name, check=False).returncode == 0


def stand_in_tag() -> str:
    """Keyed by what makes the stand-in: its script and the CAs it trusts."""
    digest = hashlib.sha256(STAND_IN_SCRIPT.read_bytes())
    for ca in sorted(HOST_EXTRA_CAS.glob("*.crt")):
        digest.update(ca.read_bytes())
    return f"{STAND_IN_REPOSITORY}:{digest.hexdigest()[:16]}"


def stand_in_base() -> str:
    """The stand-in for python:3.12-slim, built once per script version and kept."""
    tag = stand_in_tag()
    with open("/var/tmp/kvapi-stand-in-base.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two runs at once would both debootstrap
        if image_exists(tag):
            return tag
        with tempfile.TemporaryDirectory(prefix="kvapi-stand-in-", dir="/var/tmp") as tmp:
            rootfs = Path(tmp) / "rootfs.tar"
            subprocess.run([str(STAND_IN_SCRIPT), str(rootfs)], check=True, timeout=600)
            changes = [arg for change in STAND_IN_CONFIG for arg in ("--change", change)]
            podman("import", *changes, str(rootfs), tag, timeout=300)
        for stale in podman("images", "--format", "{{.Repository}}:{{.Tag}}").split():
            if stale.startswith(STAND_IN_REPOSITORY + ":") and stale != tag:
                podman("rmi", stale)
    return tag


@dataclass(frozen=True)
class Build:
    image: str
    version: str
    revision: str
    seconds: float
    size_bytes: int
    base_size_bytes: int


def project_version() -> str:
    version: str = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    return version


def git_revision() -> str:
    head = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    )
    return head.stdout.strip() if head.returncode == 0 else "uncommitted"


def build_image(base: str) -> Build:
    """THIS Dockerfile, built on `base`, as the CI of a Docker host would build it."""
    version, revision = project_version(), git_revision()
    started = time.monotonic()
    buildah(
        "bud", "--isolation", "chroot", "--pull=never", "--format", "docker",
        # One commit per stage: with the vfs driver every cached layer is a full copy.
        "--layers=false",
        "--build-arg", f"BASE_IMAGE={base}",
        "--build-arg", f"VERSION={version}",
        "--build-arg", f"REVISION={revision}",
        "--build-arg", "SOURCE=file://" + str(REPO),
        "--tag", IMAGE, "--file", str(REPO / "Dockerfile"), str(REPO),
    )  # fmt: skip
    seconds = time.monotonic() - started
    podman("image", "prune", "--force")  # the previous build's image, now untagged
    return Build(IMAGE, version, revision, seconds, image_size(IMAGE), image_size(base))


def image_size(image: str) -> int:
    return int(podman("image", "inspect", "--format", "{{.Size}}", image))


def image_inspect(image: str) -> dict[str, Any]:
    """podman's view, with the Docker-format HEALTHCHECK (OCI configurations have none)."""
    inspected: list[dict[str, Any]] = json.loads(podman("image", "inspect", image))
    return inspected[0]


def engine_changes(image: str) -> list[str]:
    """What podman itself changes in a container's root (e.g. /etc/mtab): an idle one's diff."""
    name = f"kvapi-image-idle-{uuid.uuid4().hex[:8]}"
    podman("run", "--detach", "--name", name, *ULIMITS, "--entrypoint", "sleep", image, "60")
    try:
        return podman("diff", name).split()
    finally:
        run_tool("podman", "rm", "--force", "--time", "0", name, check=False)


@dataclass(frozen=True)
class Container:
    name: str
    port: int

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def get_status(self, path: str) -> int:
        try:
            with urllib.request.urlopen(self.url(path), timeout=2) as response:  # noqa: S310
                return int(response.status)
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            return 0

    def state(self) -> dict[str, object]:
        inspected: list[dict[str, dict[str, object]]] = json.loads(
            podman("container", "inspect", self.name)
        )
        return inspected[0]["State"]

    def logs(self) -> str:
        return podman("logs", self.name)


@contextlib.contextmanager
def run_container(image: str, redis_url: str, read_only: bool = True) -> Iterator[Container]:
    """The image as Kubernetes and compose run it: only /tmp writable, no capabilities.

    Host networking: the service reaches the host's Redis on 127.0.0.1 and the tests reach
    the service on a free loopback port.
    """
    port = free_port()
    name = f"kvapi-image-test-{port}"
    root_fs = ["--read-only", "--read-only-tmpfs=false"] if read_only else []
    podman(
        "run", "--detach", "--name", name, "--network", "host", *ULIMITS, *root_fs,
        "--tmpfs", "/tmp:rw,nosuid,nodev,size=64m",
        "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
        "--env", f"KVAPI_REDIS_URL={redis_url}",
        "--env", f"KVAPI_PORT={port}",
        "--env", "KVAPI_WORKERS=2",
        image,
    )  # fmt: skip
    container = Container(name, port)
    try:
        wait_until(
            lambda: (
                container.get_status("/readyz") == 200 or container.state()["Status"] != "running"
            ),
            60,
            f"{name} /readyz",
            every=0.25,
        )
        if container.state()["Status"] != "running":
            raise RuntimeError(f"{name} exited at start:\n{container.logs()}")
        yield container
    finally:
        run_tool("podman", "rm", "--force", "--time", "0", name, check=False)
