"""Finding the external tools that some tests need.

Outside CI a missing tool skips the test with the install hint; in CI (CI=true) it fails,
so that a green run can never hide a check that did not happen.
"""

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_binary(name: str, install_hint: str) -> str:
    """Return the path of executable `name`, or skip (outside CI) / fail (in CI)."""
    path = shutil.which(name) or shutil.which(name, path=str(REPO / ".venv" / "bin"))
    if path:
        return path
    reason = f"{name} not found ({install_hint}); CI installs it"
    if in_ci():
        pytest.fail(f"required tool missing in CI: {reason}")
    pytest.skip(reason)
