"""The control flow of terraform.yml's scripts, with stand-ins for `terraform` and `gh` on PATH
(the real ones need AWS and GitHub): which commands run in which order, how the drift check
maps `plan -detailed-exitcode` onto its output, and when the drift issue is opened, commented
on or closed. What the commands do against AWS and GitHub is only tested there."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from testbed.tools import REPO

SCRIPTS = REPO / ".github" / "scripts"

# Logs its arguments; `plan` exits with $STUB_PLAN_EXIT, `show` prints a plan.
TERRAFORM_STUB = """#!/usr/bin/env bash
echo "terraform $*" >> "$STUB_LOG"
case $1 in
  plan) exit "${STUB_PLAN_EXIT:-0}" ;;
  show) echo "Plan: 1 to change." ;;
esac
"""
# Logs its arguments; `issue list` prints $STUB_OPEN_ISSUE (what gh's --jq would print).
GH_STUB = """#!/usr/bin/env bash
echo "gh $*" >> "$STUB_LOG"
if [[ $1 == issue && $2 == list ]]; then echo "${STUB_OPEN_ISSUE:-}"; fi
"""


@pytest.fixture
def stubs(tmp_path: Path) -> Path:
    for name, text in (("terraform", TERRAFORM_STUB), ("gh", GH_STUB)):
        stub = tmp_path / "bin" / name
        stub.parent.mkdir(exist_ok=True)
        stub.write_text(text)
        stub.chmod(0o755)
    return tmp_path


def run(stubs: Path, script: str, *args: str, **env: str) -> tuple[int, list[str], str, str]:
    """Exit code, logged commands, $GITHUB_OUTPUT and $GITHUB_STEP_SUMMARY of one run."""
    files = {name: stubs / name for name in ("log", "output", "summary")}
    for path in files.values():
        path.write_text("")
    result = subprocess.run(
        [str(SCRIPTS / script), *args],
        env={
            **os.environ,
            "PATH": f"{stubs / 'bin'}:{os.environ['PATH']}",
            "STUB_LOG": str(files["log"]),
            "GITHUB_OUTPUT": str(files["output"]),
            "GITHUB_STEP_SUMMARY": str(files["summary"]),
            "TF_VAR_state_bucket_name": "kvapi-terraform-state-123456789012",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return (
        result.returncode,
        files["log"].read_text().splitlines(),
        files["output"].read_text(),
        files["summary"].read_text(),
    )


# --- terraform-ci ------------------------------------------------------------------------------


def test_plan_inits_with_the_state_bucket_and_shows_the_plan(stubs: Path) -> None:
    code, log, _, summary = run(stubs, "terraform-ci", "plan", "staging")
    assert code == 0
    assert log == [
        "terraform init -no-color -backend-config=bucket=kvapi-terraform-state-123456789012",
        "terraform plan -no-color -lock-timeout=10m -out=plan.bin",
        "terraform show -no-color plan.bin",
    ]
    assert "### terraform plan: staging" in summary and "Plan: 1 to change." in summary


def test_apply_applies_exactly_the_plan_it_made(stubs: Path) -> None:
    code, log, _, _ = run(stubs, "terraform-ci", "apply", "prod")
    assert code == 0
    assert log[-2:] == [
        "terraform show -no-color plan.bin",
        "terraform apply -no-color -lock-timeout=10m plan.bin",
    ]


@pytest.mark.parametrize(
    ("plan_exit", "code", "output"),
    [(0, 0, "drift=false\n"), (2, 0, "drift=true\n"), (1, 1, "")],
    ids=["no-changes", "drift", "error"],
)
def test_drift_maps_the_detailed_exit_code(
    stubs: Path, plan_exit: int, code: int, output: str
) -> None:
    result = run(stubs, "terraform-ci", "drift", "dev", STUB_PLAN_EXIT=str(plan_exit))
    assert (result[0], result[2]) == (code, output)
    assert (
        "terraform plan -no-color -lock-timeout=10m -detailed-exitcode -out=plan.bin" in result[1]
    )
    assert ("Plan: 1 to change." in result[3]) == (plan_exit == 2), "the plan only on drift"


@pytest.mark.parametrize("args", [("plan", "qa"), ("destroy", "dev")], ids=["env", "mode"])
def test_unknown_environments_and_modes_are_refused(stubs: Path, args: tuple[str, str]) -> None:
    code, log, _, _ = run(stubs, "terraform-ci", *args)
    assert (code, log) == (2, [])


def test_a_missing_state_bucket_stops_before_terraform(stubs: Path) -> None:
    code, log, _, _ = run(stubs, "terraform-ci", "plan", "dev", TF_VAR_state_bucket_name="")
    assert code != 0 and log == []


# --- terraform-drift-issue ---------------------------------------------------------------------

RUN_URL = "https://github.com/o/r/actions/runs/1"


def issue_calls(log: list[str]) -> list[str]:
    return [line for line in log if not line.startswith("gh issue list")]


def test_drift_opens_an_issue_when_none_is_open(stubs: Path) -> None:
    code, log, _, _ = run(stubs, "terraform-drift-issue", "prod", "true", RUN_URL)
    assert code == 0
    [create] = issue_calls(log)
    assert create.startswith("gh issue create --title Terraform drift: prod --body ")
    assert RUN_URL in create


def test_drift_comments_on_the_open_issue(stubs: Path) -> None:
    code, log, _, _ = run(
        stubs, "terraform-drift-issue", "prod", "true", RUN_URL, STUB_OPEN_ISSUE="7"
    )
    assert code == 0
    assert issue_calls(log) == [f"gh issue comment 7 --body Still drifting: {RUN_URL}"]


def test_no_drift_closes_the_open_issue(stubs: Path) -> None:
    code, log, _, _ = run(
        stubs, "terraform-drift-issue", "dev", "false", RUN_URL, STUB_OPEN_ISSUE="7"
    )
    assert code == 0
    assert issue_calls(log) == [
        f"gh issue comment 7 --body No drift any more: {RUN_URL}",
        "gh issue close 7",
    ]


def test_no_drift_and_no_issue_does_nothing(stubs: Path) -> None:
    code, log, _, _ = run(stubs, "terraform-drift-issue", "dev", "false", RUN_URL)
    assert code == 0 and issue_calls(log) == []
    assert any('"Terraform drift: dev" in:title' in line for line in log), "it looked"
