"""Measured figures of the resilience tests, kept where docs/reliability.md quotes them from."""

import json
import os
import platform
import time
from pathlib import Path

from testbed.tools import REPO

REPORT_DIR = REPO / "reports" / "resilience"


def record(name: str, figures: dict[str, object]) -> Path:
    """Write reports/resilience/<name>.json (gitignored) and return its path."""
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    path = REPORT_DIR / f"{name}.json"
    doc = {
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
        **figures,
    }
    path.write_text(json.dumps(doc, indent=2) + "\n")
    return path
