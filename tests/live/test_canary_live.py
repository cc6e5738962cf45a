"""A canary you can watch, proven with Debian's Prometheus.

Two real kvapi processes play two revisions of a Rollout: Prometheus scrapes them with the
committed kvapi job and file_sd targets labelled as the ServiceMonitor labels pods in
Kubernetes (rollouts_pod_template_hash, namespace). Both get the same traffic; the canary's
Redis is stopped half-way, so part of its requests get 503. Then:
- the dashboard's canary panels (kvapi_dashboards/canary.py) show one line per revision, the
  stable one above the analysis threshold, the canary below it;
- the AnalysisTemplate's own queries and conditions (deploy/k8s/base/analysis-template.yaml,
  rendered as tests/deploy/test_k8s_canary_analysis.py renders them) decide what Argo
  Rollouts would: the stable revision passes, the canary fails.
"""

import contextlib
import math
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from testbed import load
from testbed.net import wait_until
from testbed.processes import http_ok, kvapi_server
from testbed.redis import redis_server
from testbed.tools import require_binary
from tests.deploy.monitoring_support import dashboards_package
from tests.deploy.test_k8s_canary_analysis import TEMPLATE, as_promql, rendered_query
from tests.live.monitoring_stack import (
    GRAFANA_VARIABLES,
    PrometheusAPI,
    free_address,
    prometheus_args,
    render_scrape_config,
    running,
)

pytestmark = pytest.mark.live

NAMESPACE = "kvapi"
STABLE, CANARY = "6c9f7d8b4", "7d8e9f0a1"  # pod template hashes, as Argo Rollouts makes them


@dataclass
class Run:
    prometheus: PrometheusAPI
    at: float  # when the verdicts are read
    statuses: dict[str, dict[str, int]]


def target(port: int, pod_hash: str) -> dict[str, object]:
    return {
        "targets": [f"127.0.0.1:{port}"],
        "labels": {"rollouts_pod_template_hash": pod_hash, "namespace": NAMESPACE},
    }


def scrapes_of_503s(api: PrometheusAPI) -> float:
    """How many scrapes in the panels' rate window saw the canary's 503 counters: a rate
    needs two, and before that the ratio would still read 1."""
    selector = f'http_requests_total{{rollouts_pod_template_hash="{CANARY}",status="503"}}'
    window = GRAFANA_VARIABLES["$__rate_interval"]
    result = api.instant(f"min(count_over_time({selector}[{window}]))", time.time())
    return float(result[0]["value"][1]) if result else 0.0


@pytest.fixture(scope="module")
def run() -> Iterator[Run]:
    prometheus = require_binary("prometheus", "apt install prometheus")
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="kvapi-canary-")))
        stable_redis = stack.enter_context(redis_server())
        canary_redis = stack.enter_context(redis_server())
        stable = stack.enter_context(kvapi_server(stable_redis.url, workers=1))
        canary = stack.enter_context(kvapi_server(canary_redis.url, workers=1))
        address = free_address()
        config = render_scrape_config(
            tmp / "prometheus",
            "kvapi",
            [target(stable.port, STABLE), target(canary.port, CANARY)],
        )
        stack.enter_context(
            running(
                "prometheus",
                prometheus_args(prometheus, config, tmp / "data", address),
                tmp,
                http_ok(f"http://{address}/-/ready"),
            )
        )
        api = PrometheusAPI(f"http://{address}")
        stable_traffic = load.Load(stable.base_url, load.mixed, timeout_s=2)
        canary_traffic = load.Load(canary.base_url, load.mixed, timeout_s=2)

        def answered(status: int) -> int:
            return load.outcomes(list(canary_traffic.results)).get(str(status), 0)

        with load.running(stable_traffic, threads=1), load.running(canary_traffic, threads=1):
            wait_until(
                lambda: (
                    [t["health"] for t in api.get("/api/v1/targets")["activeTargets"]]
                    == ["up", "up"]
                ),
                30,
                "both revisions scraped",
                every=0.5,
            )
            # Healthy first, so that the canary's window holds successes and failures.
            wait_until(lambda: answered(200) > 50, 30, "canary successes")
            canary_redis.stop()
            wait_until(lambda: answered(503) > 50, 30, "canary 503s")
            wait_until(
                lambda: scrapes_of_503s(api) >= 3, 30, "the canary's 503s scraped", every=0.5
            )
            at = time.time()
        outcomes = {
            "stable": load.outcomes(stable_traffic.results),
            "canary": load.outcomes(canary_traffic.results),
        }
        yield Run(api, at, outcomes)


def canary_module() -> Any:
    """kvapi_dashboards.canary: the row, its panels and the thresholds it read."""
    package = dashboards_package()
    application = {board.uid: board for board in package.DASHBOARDS}["kvapi-application"]
    assert package.canary.ROW in application.rows
    return package.canary


def canary_panel(title: str) -> Any:
    (panel,) = [panel for panel in canary_module().ROW.panels if panel.title == title]
    return panel


def by_revision(run: Run, expr: str) -> dict[str, float]:
    return {
        series["metric"].get("rollouts_pod_template_hash", ""): float(series["value"][1])
        for series in run.prometheus.instant(expr, run.at)
    }


def test_the_canary_failed_some_requests_and_the_stable_none(run: Run) -> None:
    print(f"responses by status: {run.statuses}")
    assert run.statuses["canary"].get("200", 0) > 50 and run.statuses["canary"].get("503", 0) > 50
    assert run.statuses["stable"].get("503", 0) == 0 and run.statuses["stable"].get("500", 0) == 0


def test_the_success_ratio_panel_separates_the_revisions(run: Run) -> None:
    canary = canary_module()
    ratio, threshold = canary_panel("API success ratio by revision").queries
    values = by_revision(run, ratio.expr)
    print(f"success ratio by revision: {values}")
    assert set(values) == {STABLE, CANARY}
    assert values[STABLE] == 1.0
    assert values[CANARY] < canary.SUCCESS_RATIO
    assert by_revision(run, threshold.expr) == {"": canary.SUCCESS_RATIO}


def test_the_latency_panel_separates_the_revisions(run: Run) -> None:
    canary = canary_module()
    p95, threshold = canary_panel("API p95 latency by revision").queries
    values = by_revision(run, p95.expr)
    print(f"p95 by revision: {values}")
    assert set(values) == {STABLE, CANARY}
    assert all(math.isfinite(value) for value in values.values())
    assert by_revision(run, threshold.expr) == {"": canary.P95_SECONDS}


def verdict(run: Run, metric: dict, pod_hash: str) -> str:
    """Successful, Failed or Inconclusive, as Argo Rollouts judges one measurement."""
    query = rendered_query(metric, {"namespace": NAMESPACE, "canary-hash": pod_hash})
    met = {
        condition: run.prometheus.instant(as_promql(metric[condition], query), run.at)
        for condition in ("successCondition", "failureCondition")
    }
    holds = {condition: float(result[0]["value"][1]) == 1 for condition, result in met.items()}
    if holds["successCondition"]:
        return "Successful"
    return "Failed" if holds["failureCondition"] else "Inconclusive"


@pytest.mark.parametrize(
    ("pod_hash", "expected"),
    [
        (STABLE, {"success-ratio": "Successful", "p95-latency-seconds": "Successful"}),
        # Refused Redis connections fail fast: the canary is judged on its errors, not speed.
        (CANARY, {"success-ratio": "Failed", "p95-latency-seconds": "Successful"}),
    ],
    ids=["stable-passes", "canary-fails"],
)
def test_the_analysis_decides_as_the_analysis_template_would(
    run: Run, pod_hash: str, expected: dict[str, str]
) -> None:
    verdicts = {
        metric["name"]: verdict(run, metric, pod_hash) for metric in TEMPLATE["spec"]["metrics"]
    }
    print(f"{pod_hash}: {verdicts}")
    assert verdicts == expected
