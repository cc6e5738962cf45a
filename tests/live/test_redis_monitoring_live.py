"""Redis monitored the way staging and prod monitor ElastiCache (issue 16, section 2), for real.

A TLS-only, password-protected redis-server primary and replica (certificates made here with
openssl); one Debian prometheus-redis-exporter per server, connecting over TLS (verified
against the test's CA) with the password from a password file; Prometheus with the committed
configuration and rules (job redis_exporter, 1 s intervals, `for:` cut to 2 s); Alertmanager
with the committed routing. Stopping the replica must fire RedisReplicationLinkDown in
Prometheus and deliver it to Alertmanager; starting it again must resolve it.

With one exporter per node (unlike staging and prod, which scrape the primary endpoint only),
the stopped replica's own exporter also reports RedisDown (critical), and Alertmanager's
"critical inhibits warning of the same service" rule then holds back the replication warning:
the test waits for that end state and checks it, so the order in which the two arrive does
not matter.
"""

import contextlib
import json
import secrets
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from testbed.net import wait_until
from testbed.processes import http_ok
from testbed.tools import require_binary
from tests.deploy.monitoring_support import RUNBOOK_URL, SEVERITY_RECEIVERS, dashboards_package
from tests.live.monitoring_stack import (
    PrometheusAPI,
    alertmanager,
    alertmanager_alerts,
    free_address,
    prometheus,
    render_prometheus_config,
    running,
)
from tests.live.redis_tls import (
    Certificates,
    TlsRedis,
    make_certificates,
    primary_and_replica,
    replica_online,
)

pytestmark = pytest.mark.live

ALERT = "RedisReplicationLinkDown"
INHIBITOR = "RedisDown"
REPLICAS = 'job:redis_connected_replicas:max{job="redis_exporter"}'


@dataclass
class Run:
    prometheus: PrometheusAPI
    start: float
    end: float = 0.0
    healthy: dict[str, Any] = field(default_factory=dict)  # what Prometheus saw before the stop
    fired: dict[str, str] = field(default_factory=dict)  # alertname -> state in Prometheus
    delivered: dict[str, Any] = field(default_factory=dict)  # Alertmanager's alerts by name
    replica_exporter: str = ""
    resolved: dict[str, str] = field(default_factory=dict)  # Prometheus after the restart


def binaries() -> dict[str, str]:
    names = (
        "redis-server",
        "openssl",
        "prometheus",
        "prometheus-alertmanager",
        "prometheus-redis-exporter",
    )
    return {name: require_binary(name, f"apt install {' '.join(names)}") for name in names}


def exporter(
    binary: str, node: TlsRedis, certificates: Certificates, password_file: Path, address: str
) -> list[str]:
    """redis_exporter over TLS, verifying the server against the CA, password from the file."""
    return [
        binary,
        f"-redis.addr={node.address}",
        f"-redis.password-file={password_file}",
        f"-tls-ca-cert-file={certificates.ca}",
        f"-web.listen-address={address}",
    ]


def values(api: PrometheusAPI, expr: str, label: str) -> dict[str, float]:
    return {
        series["metric"].get(label, ""): float(series["value"][1]) for series in api.query(expr)
    }


def seen_by_prometheus(api: PrometheusAPI, exporters: dict[str, str]) -> dict[str, Any]:
    """Who is primary and replica, link state and replicas attached, as Prometheus has them."""
    instance = {address: name for name, address in exporters.items()}
    roles = {
        instance[series["metric"]["instance"]]: series["metric"]["role"]
        for series in api.query('redis_instance_info{job="redis_exporter"}')
    }
    return {
        "roles": roles,
        "up": {instance[k]: v for k, v in values(api, "redis_up", "instance").items()},
        "link_up": list(values(api, "redis_master_link_up", "instance").values()),
        "replicas": list(values(api, REPLICAS, "job").values()),
    }


def inhibited(alerts: dict[str, dict[str, Any]]) -> bool:
    return ALERT in alerts and INHIBITOR in alerts and alerts[ALERT]["status"]["inhibitedBy"] != []


@pytest.fixture(scope="module")
def run() -> Iterator[Run]:
    tools = binaries()
    started: list[subprocess.Popen[bytes]] = []
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="kvapi-redis-tls-")))
        certificates = make_certificates(tools["openssl"], tmp / "tls")
        password = secrets.token_hex(16)
        primary, replica = stack.enter_context(
            primary_and_replica(tools["redis-server"], certificates, password, tmp)
        )
        # The exporter's password file: a JSON object from Redis address to password.
        password_file = tmp / "redis-passwords.json"
        password_file.write_text(
            json.dumps({node.address: password for node in (primary, replica)})
        )
        exporters = {"primary": free_address(), "replica": free_address()}
        for name, node in (("primary", primary), ("replica", replica)):
            args = exporter(
                tools["prometheus-redis-exporter"],
                node,
                certificates,
                password_file,
                exporters[name],
            )
            ready = http_ok(f"http://{exporters[name]}/metrics")
            started.append(stack.enter_context(running(f"redis_exporter_{name}", args, tmp, ready)))
        addresses = {"alertmanager": free_address(), "prometheus": free_address()}
        started.append(
            stack.enter_context(
                alertmanager(tools["prometheus-alertmanager"], tmp, addresses["alertmanager"])
            )
        )
        targets = {
            **addresses,
            "redis_exporter": list(exporters.values()),
            "kvapi": [],  # not part of this test
            "node_exporter": [],
        }
        config = render_prometheus_config(tmp / "prometheus", targets)
        started.append(
            stack.enter_context(
                prometheus(tools["prometheus"], tmp, addresses["prometheus"], config)
            )
        )
        api = PrometheusAPI(f"http://{addresses['prometheus']}")
        alertmanager_url = f"http://{addresses['alertmanager']}"
        result = Run(prometheus=api, start=time.time(), replica_exporter=exporters["replica"])

        # Healthy: the recorded replica count has been 1 for a few rule evaluations.
        wait_until(
            lambda: bool(api.query(f"count_over_time(({REPLICAS} == 1)[1m:1s]) >= 5")),
            30,
            "5 evaluations that see the replica attached",
            every=0.5,
        )
        result.healthy = seen_by_prometheus(api, exporters)
        result.healthy["alerts"] = api.alert_states()

        replica.stop()
        try:
            wait_until(
                lambda: all(
                    api.alert_states().get(name) == "firing" for name in (ALERT, INHIBITOR)
                ),
                30,
                f"{ALERT} and {INHIBITOR} firing in Prometheus",
                every=0.5,
            )
            result.fired = api.alert_states()
            wait_until(
                lambda: inhibited(alertmanager_alerts(alertmanager_url)),
                30,
                f"{ALERT} in Alertmanager, held back by {INHIBITOR}",
                every=0.5,
            )
            result.delivered = alertmanager_alerts(alertmanager_url)
        finally:
            replica.start()
        wait_until(lambda: replica_online(primary, replica), 15, "replica in sync again")
        wait_until(lambda: ALERT not in api.alert_states(), 30, f"{ALERT} resolved", every=0.5)
        result.resolved = api.alert_states()
        result.end = time.time()
        yield result
    # Closing the stack stopped every process, newest first: none may be left behind.
    assert [process.args[0] for process in started if process.poll() is None] == []


def test_exporters_read_both_servers_over_tls_with_the_password(run: Run) -> None:
    # The servers listen on TLS only and refuse commands without the password: redis_up 1
    # and a role for each means both exporters connected, verified the CA and authenticated.
    assert run.healthy["up"] == {"primary": 1.0, "replica": 1.0}
    assert run.healthy["roles"] == {"primary": "master", "replica": "slave"}
    assert run.healthy["link_up"] == [1.0]
    assert run.healthy["replicas"] == [1.0]


def test_replication_alerts_are_silent_while_the_replica_is_attached(run: Run) -> None:
    quiet = ("RedisReplicationLinkDown", "RedisNoPrimary", "RedisReplicaLag", "RedisDown")
    assert {name: run.healthy["alerts"].get(name) for name in quiet} == dict.fromkeys(quiet)


def test_stopping_the_replica_fires_the_replication_alert_into_alertmanager(run: Run) -> None:
    assert run.fired[ALERT] == "firing"
    alert = run.delivered[ALERT]
    assert alert["labels"]["job"] == "redis_exporter"
    assert alert["labels"]["severity"] == "warning"
    assert alert["labels"]["service"] == "kvapi"
    assert [receiver["name"] for receiver in alert["receivers"]] == [SEVERITY_RECEIVERS["warning"]]
    assert alert["annotations"]["runbook_url"] == RUNBOOK_URL.format(ALERT)
    # The primary stayed a primary: losing a replica is not a lost primary.
    assert "RedisNoPrimary" not in run.fired


def test_the_replicas_own_exporter_pages_and_holds_back_the_warning(run: Run) -> None:
    down = run.delivered[INHIBITOR]
    assert down["labels"]["instance"] == run.replica_exporter
    assert down["labels"]["severity"] == "critical"
    assert down["status"]["state"] == "active"
    assert [receiver["name"] for receiver in down["receivers"]] == [SEVERITY_RECEIVERS["critical"]]
    status = run.delivered[ALERT]["status"]
    assert status["state"] == "suppressed"
    # Held back by a critical alert of the same service: RedisDown, or another one that fires
    # in this Redis-only setup (KvapiTargetAbsent: no kvapi is scraped here). Alertmanager
    # names one inhibitor, whichever it matched first.
    critical = {
        alert["fingerprint"]
        for alert in run.delivered.values()
        if alert["labels"]["severity"] == "critical"
        and alert["labels"]["service"] == down["labels"]["service"]
        and alert["status"]["state"] == "active"
    }
    assert status["inhibitedBy"] and set(status["inhibitedBy"]) <= critical


def test_the_alert_resolves_when_the_replica_is_back(run: Run) -> None:
    assert ALERT not in run.resolved


def test_redis_panels_that_need_a_replica_have_data_here(run: Run) -> None:
    # The general live test runs a standalone Redis, so these panels carry a no-data reason
    # there; with a replica each of their queries must find data.
    dashboards = dashboards_package()
    needs_replica = [
        query.expr
        for board in dashboards.DASHBOARDS
        for panel in board.panels
        if panel.no_data_here == dashboards.spec.NEEDS_REPLICA
        for query in panel.queries
    ]
    assert len(needs_replica) == 2, "the replica lag and offset panels"
    empty = [
        expr for expr in needs_replica if not run.prometheus.has_data(expr, run.start, run.end)
    ]
    assert empty == []
