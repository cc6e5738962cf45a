"""The monitoring stack of observability/ started for real on loopback, for tests/live.

Every process gets a free 127.0.0.1 port and a private temporary directory; the Prometheus
configuration is the committed one, rendered with loopback targets, 1 s intervals and alert
`for:` durations cut to a few seconds, so nothing the test checks is written twice.
"""

import contextlib
import json
import math
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
import yaml

from testbed.net import free_port
from testbed.processes import http_ok, supervised
from tests.deploy.monitoring_support import (
    ALERTMANAGER_CONFIG,
    PROMETHEUS,
    PROMETHEUS_CONFIG,
    load_yaml,
)

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


def render_prometheus_config(directory: Path, targets: Mapping[str, str | Sequence[str]]) -> Path:
    """Write the committed prometheus.yml and rules into `directory`, for the test setting.

    `targets` maps every scrape job of the committed configuration to its loopback address
    (or addresses; an empty list for a job the test does not run); a job missing from it is
    an error, so a new job cannot slip through untested.
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
    for job, addresses in targets.items():
        listed = [addresses] if isinstance(addresses, str) else list(addresses)
        (directory / "targets" / f"{job}.json").write_text(json.dumps([{"targets": listed}]))
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


@contextlib.contextmanager
def alertmanager(binary: str, work_dir: Path, address: str) -> Iterator[subprocess.Popen[bytes]]:
    """The committed Alertmanager configuration, alone (no cluster peers), on `address`."""
    args = [
        binary,
        f"--config.file={ALERTMANAGER_CONFIG}",
        f"--storage.path={work_dir / 'alertmanager'}",
        f"--web.listen-address={address}",
        "--cluster.listen-address=",
    ]
    with running("alertmanager", args, work_dir, http_ok(f"http://{address}/-/ready")) as process:
        yield process


@contextlib.contextmanager
def prometheus(
    binary: str, work_dir: Path, address: str, config: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Prometheus with a configuration from render_prometheus_config, on `address`.

    Alerts sent before Alertmanager was discovered (Watchdog fires at the first evaluation)
    are sent again within a second, not a minute.
    """
    args = [
        *prometheus_args(binary, config, work_dir / "prometheus-data", address),
        "--rules.alert.resend-delay=1s",
    ]
    with running("prometheus", args, work_dir, http_ok(f"http://{address}/-/ready")) as process:
        yield process


def alertmanager_alerts(base_url: str) -> dict[str, dict[str, Any]]:
    """The alerts Alertmanager holds now, by alert name."""
    alerts = httpx.get(f"{base_url}/api/v2/alerts", timeout=5).json()
    return {alert["labels"]["alertname"]: alert for alert in alerts}


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

    def query(self, expr: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.get("/api/v1/query", query=expr)["result"]
        return result

    def query_range(self, expr: str, start: float, end: float) -> list[dict[str, Any]]:
        for variable, value in GRAFANA_VARIABLES.items():
            expr = expr.replace(variable, value)
        result: list[dict[str, Any]] = self.get(
            "/api/v1/query_range", query=expr, start=start, end=end, step="1s"
        )["result"]
        return result

    def scrapes_since(self, job: str, start: float) -> int:
        """How many scrapes of `job` succeeded since `start` (1 s apart)."""
        window = max(1, math.ceil(time.time() - start))
        result = self.get("/api/v1/query", query=f'sum_over_time(up{{job="{job}"}}[{window}s])')
        return int(float(result["result"][0]["value"][1])) if result["result"] else 0

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


def free_address() -> str:
    return f"127.0.0.1:{free_port()}"
