"""The monitoring stack of observability/ started for real on loopback, for tests/live.

Every process gets a free 127.0.0.1 port and a private temporary directory; the Prometheus
configuration is the committed one, rendered with loopback targets, 1 s intervals and alert
`for:` durations cut to a few seconds, so nothing the test checks is written twice.
"""

import contextlib
import json
import math
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.deploy.monitoring_support import PROMETHEUS, PROMETHEUS_CONFIG, load_yaml
from tests.support.net import free_port
from tests.support.processes import supervised

SCRAPE_INTERVAL = "1s"
ALERT_FOR = "2s"
# Grafana's $__rate_interval is 4 scrape intervals at least; 10 s is safe at a 1 s scrape.
GRAFANA_VARIABLES = {"$__rate_interval": "10s", "$__range": "10m"}


@contextlib.contextmanager
def running(
    name: str, args: list[str], log_dir: Path, ready: Callable[[], bool]
) -> Iterator[subprocess.Popen[bytes]]:
    """Run one process until the block ends; its output goes to <log_dir>/<name>.log."""
    with supervised(name, args, log_dir / f"{name}.log", ready, stop_timeout=15) as process:
        yield process


def render_prometheus_config(directory: Path, targets: dict[str, str]) -> Path:
    """Write the committed prometheus.yml and rules into `directory`, for the test setting.

    `targets` maps every scrape job of the committed configuration to a loopback address; a
    job without one is an error, so a new job cannot slip through untested.
    """
    config = load_yaml(PROMETHEUS_CONFIG)
    jobs = {job["job_name"] for job in config["scrape_configs"]}
    assert jobs == set(targets), f"jobs {sorted(jobs)} != started {sorted(targets)}"
    config["global"].update(
        scrape_interval=SCRAPE_INTERVAL,
        evaluation_interval=SCRAPE_INTERVAL,
        scrape_timeout=SCRAPE_INTERVAL,
    )
    (directory / "targets").mkdir(parents=True)
    for job, address in targets.items():
        (directory / "targets" / f"{job}.json").write_text(json.dumps([{"targets": [address]}]))
    (directory / "rules").mkdir()
    for path in sorted((PROMETHEUS / "rules").glob("*.yml")):
        content = load_yaml(path)
        for group in content["groups"]:
            for rule in group["rules"]:
                if "for" in rule:
                    rule["for"] = ALERT_FOR
        (directory / "rules" / path.name).write_text(yaml.safe_dump(content, sort_keys=False))
    config_path = directory / "prometheus.yml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    return config_path


def render_scrape_config(directory: Path, job: str, groups: list[dict[str, Any]]) -> Path:
    """The committed scrape config of one `job` alone, its file_sd file holding `groups`
    (targets with their labels), at the test intervals: for tests of one service's series."""
    config = load_yaml(PROMETHEUS_CONFIG)
    (scrape,) = [entry for entry in config["scrape_configs"] if entry["job_name"] == job]
    (directory / "targets").mkdir(parents=True)
    (directory / "targets" / f"{job}.json").write_text(json.dumps(groups))
    config_path = directory / "prometheus.yml"
    config_path.write_text(
        yaml.safe_dump(
            {
                "global": {
                    "scrape_interval": SCRAPE_INTERVAL,
                    "evaluation_interval": SCRAPE_INTERVAL,
                    "scrape_timeout": SCRAPE_INTERVAL,
                },
                "scrape_configs": [scrape],
            },
            sort_keys=False,
        )
    )
    return config_path


def prometheus_args(binary: str, config: Path, data: Path, address: str) -> list[str]:
    return [
        binary,
        f"--config.file={config}",
        f"--storage.tsdb.path={data}",
        f"--web.listen-address={address}",
    ]


class PrometheusAPI:
    def __init__(self, base_url: str) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=10)

    def get(self, path: str, **params: Any) -> Any:
        response = self.client.get(path, params=params)
        response.raise_for_status()
        body = response.json()
        assert body["status"] == "success", body
        return body["data"]

    def query_range(self, expr: str, start: float, end: float) -> list[dict[str, Any]]:
        for variable, value in GRAFANA_VARIABLES.items():
            expr = expr.replace(variable, value)
        result: list[dict[str, Any]] = self.get(
            "/api/v1/query_range", query=expr, start=start, end=end, step="1s"
        )["result"]
        return result

    def has_data(self, expr: str, start: float, end: float) -> bool:
        """At least one series with one finite value over [start, end]."""
        return any(
            math.isfinite(float(value))
            for series in self.query_range(expr, start, end)
            for _, value in series["values"]
        )

    def instant(self, expr: str, at: float) -> list[dict[str, Any]]:
        for variable, value in GRAFANA_VARIABLES.items():
            expr = expr.replace(variable, value)
        result: list[dict[str, Any]] = self.get("/api/v1/query", query=expr, time=at)["result"]
        return result

    def alert_states(self) -> dict[str, str]:
        return {
            alert["labels"]["alertname"]: alert["state"]
            for alert in self.get("/api/v1/alerts")["alerts"]
        }

    def targets_up(self) -> dict[str, str]:
        return {
            target["labels"]["job"]: target["health"]
            for target in self.get("/api/v1/targets")["activeTargets"]
        }


class Traffic:
    """A thread that keeps calling kvapi with a realistic mix, client errors included."""

    def __init__(self, base_url: str) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=2)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.statuses: dict[int, int] = {}

    def _call(self, method: str, path: str, **kwargs: Any) -> None:
        try:
            status = self.client.request(method, path, **kwargs).status_code
        except httpx.HTTPError:
            status = 0
        self.statuses[status] = self.statuses.get(status, 0) + 1

    def _run(self) -> None:
        i = 0
        while not self.stopping.is_set():
            key = f"k{i % 40}"
            self._call("PUT", f"/v1/keys/{key}", json={"value": "v" * (1 + i % 200)})
            self._call("GET", f"/v1/keys/{key}")  # hit
            self._call("GET", f"/v1/keys/missing-{i}")  # miss, 404
            self._call("GET", "/v1/keys", params={"limit": 10})
            self._call("POST", f"/write/legacy{i % 5}", params={"value": str(i)})
            self._call("GET", "/")
            if i % 5 == 0:
                self._call("DELETE", f"/v1/keys/k{(i + 20) % 40}")
                self._call("PUT", f"/v1/keys/{key}", content=b"not json")  # 422
            i += 1
            time.sleep(0.05)

    def __enter__(self) -> "Traffic":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.thread.join(timeout=10)
        self.client.close()


def free_address() -> str:
    return f"127.0.0.1:{free_port()}"
