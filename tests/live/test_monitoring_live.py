"""The proof of observability/: real kvapi (2 workers), Redis, redis_exporter, node_exporter,
Prometheus with the committed configuration and rules, and Alertmanager, all on loopback.

Mixed traffic runs, then Redis is stopped until RedisDown and KvapiHighErrorRatio fire in Prometheus
and arrive in Alertmanager, then Redis comes back. Afterwards every recording rule and every
query of every dashboard panel must return data over the run, except the panels that the
dashboard code marks with the reason they cannot have data here.
"""

import contextlib
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from testbed import load
from testbed.net import wait_until
from testbed.processes import http_ok, kvapi_server
from testbed.redis import redis_server
from testbed.tools import require_binary
from tests.deploy.monitoring_support import (
    SEVERITY_RECEIVERS,
    dashboards_package,
    recording_rules,
)
from tests.live.monitoring_stack import (
    PrometheusAPI,
    alertmanager,
    alertmanager_alerts,
    free_address,
    prometheus,
    render_prometheus_config,
    running,
)

pytestmark = pytest.mark.live

OUTAGE_ALERTS = ("RedisDown", "KvapiHighErrorRatio")


@dataclass
class Run:
    prometheus: PrometheusAPI
    start: float
    end: float = 0.0
    fired: dict[str, str] = field(default_factory=dict)  # alertname -> state in Prometheus
    delivered: dict[str, dict[str, Any]] = field(default_factory=dict)  # Alertmanager's view
    statuses: dict[str, int] = field(default_factory=dict)  # "200" (or an error name) -> count


def binaries() -> dict[str, str]:
    hint = "apt install prometheus prometheus-alertmanager prometheus-*-exporter"
    names = (
        "prometheus",
        "prometheus-alertmanager",
        "prometheus-redis-exporter",
        "prometheus-node-exporter",
    )
    return {name: require_binary(name, hint) for name in names}


@pytest.fixture(scope="module")
def run() -> Iterator[Run]:
    tools = binaries()
    started: list[subprocess.Popen[bytes]] = []
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="kvapi-monitoring-")))
        redis = stack.enter_context(redis_server({"maxmemory": "64mb"}))
        kvapi = stack.enter_context(kvapi_server(redis.url, workers=2))
        started.append(kvapi.process)
        addresses = {
            "kvapi": f"127.0.0.1:{kvapi.port}",
            "redis_exporter": free_address(),
            "node_exporter": free_address(),
            "alertmanager": free_address(),
            "prometheus": free_address(),
        }
        url = {job: f"http://{address}" for job, address in addresses.items()}
        started.append(
            stack.enter_context(
                running(
                    "redis_exporter",
                    [
                        tools["prometheus-redis-exporter"],
                        f"-redis.addr={redis.url}",
                        f"-web.listen-address={addresses['redis_exporter']}",
                    ],
                    tmp,
                    http_ok(url["redis_exporter"] + "/metrics"),
                )
            )
        )
        started.append(
            stack.enter_context(
                running(
                    "node_exporter",
                    [
                        tools["prometheus-node-exporter"],
                        f"--web.listen-address={addresses['node_exporter']}",
                    ],
                    tmp,
                    http_ok(url["node_exporter"] + "/metrics"),
                )
            )
        )
        started.append(
            stack.enter_context(
                alertmanager(tools["prometheus-alertmanager"], tmp, addresses["alertmanager"])
            )
        )
        config = render_prometheus_config(tmp / "prometheus", addresses)
        started.append(
            stack.enter_context(
                prometheus(tools["prometheus"], tmp, addresses["prometheus"], config)
            )
        )
        api = PrometheusAPI(url["prometheus"])
        result = Run(prometheus=api, start=time.time())
        traffic = load.Load(kvapi.base_url, load.mixed, timeout_s=2)
        with load.running(traffic, threads=1):
            wait_until(
                lambda: set(api.targets_up().values()) == {"up"} and len(api.targets_up()) == 5,
                30,
                "all five jobs scraped",
                every=0.5,
            )
            # 12 successful 1 s scrapes: every 10 s rate window has data before the outage
            wait_until(
                lambda: api.scrapes_since("kvapi", result.start) >= 12,
                60,
                "12 scrapes of kvapi",
                every=0.5,
            )

            redis.stop()
            try:
                wait_until(
                    lambda: all(api.alert_states().get(name) == "firing" for name in OUTAGE_ALERTS),
                    60,
                    f"{OUTAGE_ALERTS} firing in Prometheus",
                    every=0.5,
                )
                result.fired = api.alert_states()
                wait_until(
                    lambda: (
                        {*OUTAGE_ALERTS, "Watchdog"}
                        <= set(alertmanager_alerts(url["alertmanager"]))
                    ),
                    30,
                    f"{OUTAGE_ALERTS} and Watchdog in Alertmanager",
                    every=0.5,
                )
                result.delivered = alertmanager_alerts(url["alertmanager"])
            finally:
                redis.start()
            wait_until(kvapi.healthy, 10, "kvapi healthy again")
            recovered = time.time()
            # scrapes of the recovered Redis and of traffic after the outage
            wait_until(
                lambda: (
                    min(api.scrapes_since(job, recovered) for job in ("kvapi", "redis_exporter"))
                    >= 5
                ),
                60,
                "5 scrapes of kvapi and the recovered Redis",
                every=0.5,
            )
        result.statuses = load.outcomes(traffic.results)
        result.end = time.time()
        yield result
    # Closing the stack stopped every process, newest first: none may be left behind.
    assert [process.args[0] for process in started if process.poll() is None] == []


def test_traffic_had_successes_and_errors(run: Run) -> None:
    print(f"responses by status over the run: {sorted(run.statuses.items())}")
    assert run.statuses.get("200", 0) > 100
    assert run.statuses.get("404", 0) > 10
    assert run.statuses.get("503", 0) + run.statuses.get("500", 0) > 10  # during the Redis outage


@pytest.mark.parametrize("alertname", OUTAGE_ALERTS)
def test_outage_alert_fires_and_reaches_alertmanager(run: Run, alertname: str) -> None:
    assert run.fired.get(alertname) == "firing"
    alert = run.delivered[alertname]
    severity = alert["labels"]["severity"]
    assert alert["labels"]["service"] == "kvapi"
    assert alert["status"]["state"] == "active"
    assert [receiver["name"] for receiver in alert["receivers"]] == [SEVERITY_RECEIVERS[severity]]
    assert alert["annotations"]["runbook_url"].endswith(f"/docs/runbooks/{alertname}.md")


def test_watchdog_reaches_only_the_dead_mans_switch(run: Run) -> None:
    assert run.fired.get("Watchdog") == "firing"
    receivers = [receiver["name"] for receiver in run.delivered["Watchdog"]["receivers"]]
    assert receivers == ["deadmansswitch"]


def test_absent_alerts_stay_silent_while_kvapi_is_scraped(run: Run) -> None:
    # Even during the Redis outage: kvapi still serves /metrics, so nothing is absent.
    assert {"KvapiTargetAbsent", "KvapiSliSeriesAbsent"} & set(run.fired) == set()


def test_every_rule_is_healthy_and_every_recording_rule_has_data(run: Run) -> None:
    groups = run.prometheus.get("/api/v1/rules")["groups"]
    unhealthy = [
        (rule["name"], rule.get("lastError"))
        for group in groups
        for rule in group["rules"]
        if rule["health"] != "ok"
    ]
    assert unhealthy == []
    empty = []
    for rule in recording_rules():
        labels = ",".join(f'{key}="{value}"' for key, value in rule.get("labels", {}).items())
        selector = f"{rule['record']}{{{labels}}}"
        if not run.prometheus.has_data(selector, run.start, run.end):
            empty.append(selector)
    assert empty == [], "recording rules without data"
    print(f"{len(recording_rules())} recording rules, all with data")


def test_every_dashboard_panel_has_data_or_a_reason(run: Run) -> None:
    dashboards = dashboards_package().DASHBOARDS
    empty, marked, checked = [], [], 0
    for board in dashboards:
        for panel in board.panels:
            where = f"{board.title} / {panel.title}"
            if panel.no_data_here:
                marked.append(f"{where}: {panel.no_data_here}")
                continue
            for query in panel.queries:
                checked += 1
                if not run.prometheus.has_data(query.expr, run.start, run.end):
                    empty.append(f"{where}: {query.expr}")
    print(f"{checked} panel queries returned data; {len(marked)} panels marked no data here:")
    print("\n".join(f"  - {line}" for line in marked))
    assert empty == [], "panels without data and without a reason"
    expected_marked = sum(1 for board in dashboards for panel in board.panels if panel.no_data_here)
    assert len(marked) == expected_marked == 9


def test_marked_prometheus_panels_really_have_no_data_here(run: Run) -> None:
    # A reason is only honest while it holds: a marked panel that has data should lose its mark.
    with_data = [
        panel.title
        for board in dashboards_package().DASHBOARDS
        for panel in board.panels
        if panel.no_data_here
        for query in panel.queries
        if query.language == "promql" and run.prometheus.has_data(query.expr, run.start, run.end)
    ]
    assert with_data == []
