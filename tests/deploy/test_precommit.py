"""The pre-commit configuration is valid and every hook calls a tool that `make install` puts
into .venv (local hooks: nothing is downloaded, the versions are uv.lock's)."""

import subprocess

import yaml

from testbed.tools import REPO, require_binary

CONFIG = REPO / ".pre-commit-config.yaml"
HOOKS = {"ruff", "ruff-format", "mypy", "shellcheck", "zizmor"}


def hooks() -> list[dict[str, object]]:
    config = yaml.safe_load(CONFIG.read_text())
    return [hook for repo in config["repos"] for hook in repo["hooks"]]


def test_config_validates() -> None:
    pre_commit = require_binary("pre-commit", "make install (dev group)")
    done = subprocess.run(
        [pre_commit, "validate-config", str(CONFIG)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_hook_runs_a_local_tool_from_the_venv() -> None:
    assert {str(hook["id"]) for hook in hooks()} == HOOKS
    for hook in hooks():
        tool = str(hook["entry"]).split()[0]
        assert tool.startswith(".venv/bin/"), hook["id"]
        assert (REPO / tool).exists(), f"{tool} missing: is it in uv.lock's dev or check group?"
