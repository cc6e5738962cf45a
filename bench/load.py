"""One wrk measurement: a workload against a URL, parsed from the JSON line report.lua prints."""

import json
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

WRK_DIR = Path(__file__).parent / "wrk"
REPORT_PREFIX = "BENCH_RESULT "

# workload -> the wrk script that shapes its requests (None: wrk's static GET of the URL).
WORKLOADS: dict[str, str | None] = {
    "get_root": None,
    "write_mix": "write_mix.lua",
}


@dataclass(frozen=True)
class Measurement:
    requests: int
    seconds: float
    errors: int  # socket errors and timeouts
    non_2xx: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def failed_share(self) -> float:
        return (self.errors + self.non_2xx) / max(self.requests, 1)


def script_for(workload: str, directory: Path) -> Path:
    """The workload's script with the reporting `done` appended (wrk takes a single script)."""
    parts = [WRK_DIR / name for name in (WORKLOADS[workload], "report.lua") if name]
    path = directory / f"{workload}.lua"
    path.write_text("\n".join(part.read_text() for part in parts))
    return path


def run_wrk(
    url: str,
    workload: str,
    seconds: int,
    connections: int,
    cpus: str | None,
    env: dict[str, str],
) -> Measurement:
    with tempfile.TemporaryDirectory(prefix="kvapi-wrk-") as tmp:
        command = [
            "wrk", "--threads", "1", "--connections", str(connections),
            "--duration", f"{seconds}s", "--timeout", "5s",
            "--script", str(script_for(workload, Path(tmp))), url,
        ]  # fmt: skip
        if cpus is not None:
            command = ["taskset", "--cpu-list", cpus, *command]
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    line = next(x for x in done.stdout.splitlines() if x.startswith(REPORT_PREFIX))
    raw = json.loads(line.removeprefix(REPORT_PREFIX))
    us = 1000.0
    return Measurement(
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        errors=raw["errors"],
        non_2xx=raw["non_2xx"],
        p50_ms=raw["p50_us"] / us,
        p90_ms=raw["p90_us"] / us,
        p99_ms=raw["p99_us"] / us,
        max_ms=raw["max_us"] / us,
    )
