"""The GitHub Actions configuration (.github/) is valid, hardened, and cannot drift from the repo.

Validators: zizmor (no finding at its default level), check-jsonschema with the schemas vendored
in the package (workflows, composite actions, Dependabot), shellcheck of every shell script.
Hygiene: actions pinned by commit SHA with a version comment, least-privilege permissions,
no persisted checkout credentials, a timeout on every job, concurrency groups. Drift: every
`make` target and every repository path a workflow uses exists, and every validator of
`make check` runs in ci.yml.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from testbed.tools import REPO, require_binary

GITHUB = REPO / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.yml"))
ACTIONS = sorted((GITHUB / "actions").glob("*/action.yml"))
CHECK_HINT = "the `check` dependency group: make install"

FULL_SHA = re.compile(r"^[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"#\s*v?\d+(\.\d+)*\s*$")
# Paths into the repository as a workflow writes them in a command or an input.
REPO_PATH = re.compile(
    r"(?<![\w/$.-])((?:\.github|\.ci|deploy|loadtest|observability|src|tests|docs|bench|image)"
    r"/[\w./*-]*[\w*])"
)
MAKE_CALL = re.compile(r"(?:^|[\s;&|(])make\s+((?:[\w.-]+\s*)+)")
# Inputs of third-party actions that name a file of this repository.
FILE_INPUTS = {"context", "file", "trivyignores", "trivy-config", "config", "python-version-file"}

Document = dict[str, Any]


def load(path: Path) -> Document:
    document = yaml.safe_load(path.read_text())
    assert isinstance(document, dict), f"{path} is not a mapping"
    return document


def relative(path: Path) -> str:
    return str(path.relative_to(REPO))


def workflow_jobs() -> Iterator[tuple[str, str, Document]]:
    for path in WORKFLOWS:
        for name, job in load(path)["jobs"].items():
            yield relative(path), name, job


def all_steps() -> Iterator[tuple[str, Document]]:
    """Every step of every job and of every composite action, with where it is."""
    for where, name, job in workflow_jobs():
        for step in job.get("steps", []):
            yield f"{where}:{name}", step
    for path in ACTIONS:
        for step in load(path)["runs"].get("steps", []):
            yield relative(path), step


def run_scripts() -> Iterator[tuple[str, str]]:
    for where, step in all_steps():
        if "run" in step:
            yield where, step["run"]


def makefile_targets() -> set[str]:
    rule = re.compile(r"^([A-Za-z0-9_.%/ -]+?)\s*::?(?!=)")
    targets: set[str] = set()
    for line in (REPO / "Makefile").read_text().splitlines():
        if match := rule.match(line):
            targets.update(match.group(1).split())
    return targets


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)


# --- validators -------------------------------------------------------------------------


def test_zizmor_reports_no_finding() -> None:
    zizmor = require_binary("zizmor", CHECK_HINT)
    result = run(zizmor, "--offline", "--format", "json-v1", ".")
    findings = json.loads(result.stdout or "[]")
    summary = [
        f"{f['ident']} ({f['determinations']['severity']}): "
        f"{f['locations'][0]['symbolic']['key']['Local']['verbatim_path']}"
        f":{f['locations'][0]['concrete']['location']['start_point']['row'] + 1}"
        for f in findings
    ]
    assert not findings, f"zizmor findings: {summary}"
    assert result.returncode == 0, result.stderr


SCHEMA_CHECKS = [
    *[("vendor.github-workflows", path) for path in WORKFLOWS],
    *[("vendor.github-actions", path) for path in ACTIONS],
    ("vendor.dependabot", GITHUB / "dependabot.yml"),
]


@pytest.mark.parametrize(("schema", "path"), SCHEMA_CHECKS, ids=lambda v: str(v).split("/")[-1])
def test_matches_the_vendored_schema(schema: str, path: Path) -> None:
    check_jsonschema = require_binary("check-jsonschema", CHECK_HINT)
    result = run(check_jsonschema, "--builtin-schema", schema, str(path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_shell_script_passes_shellcheck() -> None:
    shellcheck = require_binary("shellcheck", CHECK_HINT)
    listing = run(str(GITHUB / "scripts" / "shell-scripts"))
    assert listing.returncode == 0, listing.stderr
    scripts = listing.stdout.split()
    # The discovery itself: the CI entry point and scripts found by shebang, not by name.
    assert {".ci/run", ".github/scripts/smoke-test"} <= set(scripts)
    result = run(shellcheck, *scripts)
    assert result.returncode == 0, result.stdout


def test_expected_workflows_exist() -> None:
    assert {path.name for path in WORKFLOWS} >= {"ci.yml", "cd.yml", "security.yml"}


# --- hygiene ----------------------------------------------------------------------------


def action_references() -> Iterator[tuple[str, str]]:
    for where, step in all_steps():
        if "uses" in step:
            yield where, step["uses"]


def test_third_party_actions_are_pinned_by_commit_with_a_version_comment() -> None:
    texts = "\n".join(path.read_text() for path in [*WORKFLOWS, *ACTIONS])
    problems = []
    for where, uses in action_references():
        if uses.startswith(("./", "$/")):
            continue
        action, _, ref = uses.partition("@")
        if not FULL_SHA.match(ref):
            problems.append(f"{where}: {uses} is not pinned by a full commit SHA")
        for line in texts.splitlines():
            if f"uses: {uses}" in line and not VERSION_COMMENT.search(line):
                problems.append(f"{where}: {action} has no `# vX.Y.Z` comment: {line.strip()}")
    assert not problems, "\n".join(problems)


def test_local_actions_exist() -> None:
    for where, uses in action_references():
        if uses.startswith(("./", "$/")):
            assert (REPO / uses[2:] / "action.yml").is_file(), f"{where}: {uses} does not exist"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_permissions_are_least_privilege(path: Path) -> None:
    workflow = load(path)
    assert workflow.get("permissions") in ({}, {"contents": "read"}), (
        f"{path.name}: top-level permissions must be {{}} or contents: read"
    )
    for name, job in workflow["jobs"].items():
        permissions = job.get("permissions")
        assert isinstance(permissions, dict), f"{name}: permissions must be a mapping per job"
        assert set(permissions.values()) <= {"read", "write", "none"}, f"{name}: {permissions}"
    # Every write grant says on its line why the job needs it.
    for line in path.read_text().splitlines():
        if re.match(r"^\s+[a-z-]+: write\b", line):
            assert "#" in line, f"{path.name}: write permission without its reason: {line.strip()}"


def test_checkouts_do_not_persist_credentials() -> None:
    for where, step in all_steps():
        if step.get("uses", "").startswith("actions/checkout@"):
            assert (step.get("with") or {}).get("persist-credentials") is False, where


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_job_has_a_timeout_and_the_workflow_a_concurrency_group(path: Path) -> None:
    workflow = load(path)
    assert "group" in workflow.get("concurrency", {}), f"{path.name}: no concurrency group"
    for name, job in workflow["jobs"].items():
        timeout = job.get("timeout-minutes")
        assert isinstance(timeout, int) and 0 < timeout <= 60, f"{path.name}:{name}: {timeout}"


def test_trivy_ignores_carry_a_reason_and_an_expiry() -> None:
    ignores = load(GITHUB / "trivyignore.yaml")
    for kind, entries in ignores.items():
        for entry in entries or []:
            assert entry.get("statement"), f"{kind} {entry.get('id')}: no statement (reason)"
            assert entry.get("expired_at"), f"{kind} {entry.get('id')}: no expired_at"


# --- no drift from the repository -------------------------------------------------------


def make_calls(script: str) -> set[str]:
    return {
        target
        for match in MAKE_CALL.finditer(script)
        for target in match.group(1).split()
        if not target.startswith("-") and "=" not in target
    }


def test_every_make_target_a_workflow_calls_exists() -> None:
    targets = makefile_targets()
    called = {(where, target) for where, script in run_scripts() for target in make_calls(script)}
    assert called, "no `make` call found: the parser is broken"
    missing = sorted(f"{where}: make {target}" for where, target in called if target not in targets)
    assert not missing, f"targets missing from the Makefile: {missing}"


def referenced_paths() -> Iterator[tuple[str, str]]:
    for where, script in run_scripts():
        for match in REPO_PATH.finditer(script):
            yield where, match.group(1)
    for where, step in all_steps():
        for key, value in (step.get("with") or {}).items():
            if key in FILE_INPUTS and isinstance(value, str) and "${{" not in value:
                yield where, value


def exists(path: str) -> bool:
    """In the repository, or a file git ignores that the workflow itself creates."""
    if any(REPO.glob(path)) if "*" in path else (REPO / path).exists():
        return True
    return run("git", "check-ignore", "--quiet", "--no-index", path).returncode == 0


def test_every_repository_path_a_workflow_uses_exists() -> None:
    paths = list(referenced_paths())
    assert any(path.startswith(".github/scripts/") for _, path in paths), "parser found nothing"
    missing = sorted(f"{where}: {path}" for where, path in paths if not exists(path))
    assert not missing, f"paths missing from the repository: {missing}"


def test_scripts_run_directly_are_executable() -> None:
    direct = re.compile(r"(?:^|[\s;&|(])(\.(?:github|ci)/[\w/.-]+)")
    for where, script in run_scripts():
        for match in direct.finditer(script):
            path = REPO / match.group(1)
            if path.suffix != ".py":
                assert os.access(path, os.X_OK), f"{where}: {match.group(1)} is not executable"


def test_ci_runs_every_validator_of_make_check() -> None:
    """`make check` here and ci.yml on GitHub say the same thing."""
    rule = re.search(r"^check:([^#\n]*)", (REPO / "Makefile").read_text(), re.MULTILINE)
    assert rule, "no `check` target in the Makefile"
    validators = {dep for dep in rule.group(1).split() if dep.startswith("check-")}
    ci = set().union(
        *(
            make_calls(s)
            for where, s in run_scripts()
            if where.startswith(".github/workflows/ci.yml")
        )
    )
    missing = sorted(validators - ci)
    assert validators and not missing, f"validators of `make check` that ci.yml skips: {missing}"


def test_terraform_version_meets_the_code_requirement() -> None:
    """ci.yml validates with a Terraform that every `required_version = "~> X.Y"` accepts."""
    steps = load(GITHUB / "workflows" / "ci.yml")["jobs"]["terraform"]["steps"]
    pinned = next(
        s["with"]["terraform_version"] for s in steps if "terraform_version" in s.get("with", {})
    )
    major, minor = (int(part) for part in str(pinned).split(".")[:2])
    constraints = {
        match.groups()
        for path in (REPO / "deploy" / "terraform").rglob("*.tf")
        for match in re.finditer(r'required_version\s*=\s*"~>\s*(\d+)\.(\d+)"', path.read_text())
    }
    assert constraints, "no required_version found under deploy/terraform"
    for want_major, want_minor in constraints:
        assert major == int(want_major) and minor >= int(want_minor), (
            f"terraform {pinned} does not satisfy ~> {want_major}.{want_minor}"
        )


def test_log_config_images_are_the_versions_observability_pins() -> None:
    """check-log-configs checks Loki and Alloy with the versions the configurations are for
    and compose.yaml runs."""
    script = (GITHUB / "scripts" / "check-log-configs").read_text()
    loki = re.search(r"^loki_image=grafana/loki:(\S+)$", script, re.MULTILINE)
    alloy = re.search(r"^alloy_image=grafana/alloy:(\S+)$", script, re.MULTILINE)
    assert loki and alloy, "check-log-configs names no Loki or Alloy image"
    observability = REPO / "observability"
    pins = {
        match.group(1)
        for path in [*observability.glob("loki/*.yaml"), *observability.glob("alloy/*.alloy")]
        for match in re.finditer(r"pinned: grafana/((?:loki:|alloy )\S+?)\)", path.read_text())
    }
    assert pins == {f"loki:{loki.group(1)}", f"alloy {alloy.group(1)}"}, pins
    services = load(REPO / "compose.yaml")["services"].values()
    compose = {s["image"] for s in services if s.get("image", "").startswith("grafana/")}
    assert {f"grafana/loki:{loki.group(1)}", f"grafana/alloy:{alloy.group(1)}"} <= compose


def test_github_installs_the_apt_packages_of_ci_run() -> None:
    """The test job installs .ci/run's APT_PACKAGES, read from that file (no second list)."""
    listing = run(str(GITHUB / "scripts" / "install-apt-packages"), "--list")
    assert listing.returncode == 0, listing.stderr
    packages = listing.stdout.split()
    assert {"make", "redis-server", "prometheus", "prometheus-alertmanager"} <= set(packages)
    assert "runc" not in packages, "runc would replace the runner's containerd.io and Docker"
    assert all(package in (REPO / ".ci" / "run").read_text() for package in packages)
    test_steps = load(GITHUB / "workflows" / "ci.yml")["jobs"]["test"]["steps"]
    assert any(step.get("run") == ".github/scripts/install-apt-packages" for step in test_steps)


def test_k6_profiles_cd_asks_for_exist() -> None:
    """cd.yml's k6 profiles are profiles of loadtest/k6/kvapi.js (it throws on an unknown one)."""
    script = (REPO / "loadtest" / "k6" / "kvapi.js").read_text()
    block = re.search(r"^const PROFILES = \{\n(.*?)^\};", script, re.MULTILINE | re.DOTALL)
    assert block, "no PROFILES table in loadtest/k6/kvapi.js"
    defined = set(re.findall(r"^\s+(\w+): \{", block.group(1), re.MULTILINE))
    cd = load(GITHUB / "workflows" / "cd.yml")
    on = cd.get("on", cd.get(True))  # YAML 1.1 reads the key `on` as true
    wanted = set(on["workflow_dispatch"]["inputs"]["profile"]["options"])
    wanted |= set(re.findall(r"'(\w+)'", cd["jobs"]["performance"]["env"]["PROFILE"]))
    assert wanted and wanted <= defined, f"{sorted(wanted - defined)} not in {sorted(defined)}"


def test_ci_validates_each_alloy_configuration_with_alloy_validate() -> None:
    """Issue 15, defect 9: `alloy validate` (Alloy >= 1.17) runs in the monitoring job for each
    configuration as it is loaded (docker.alloy or kubernetes.alloy with pipeline.alloy)."""
    script = (GITHUB / "scripts" / "check-log-configs").read_text()
    version = re.search(r"^alloy_image=grafana/alloy:v(\d+)\.(\d+)\.\d+$", script, re.MULTILINE)
    assert version and (int(version.group(1)), int(version.group(2))) >= (1, 17)
    assert re.search(r'"\$alloy_image" validate /etc/alloy', script)
    assert re.search(r"for entry in docker kubernetes; do", script)
    assert 'observability/alloy/pipeline.alloy "$runnable/$entry/"' in script
    steps = load(GITHUB / "workflows" / "ci.yml")["jobs"]["monitoring"]["steps"]
    assert any(step.get("run") == ".github/scripts/check-log-configs" for step in steps)
