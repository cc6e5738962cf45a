"""The canary analysis, run through promtool against synthetic series.

Queries and conditions are read from deploy/k8s/base/analysis-template.yaml, the one place
they are written: each condition `result[0] <op> <threshold>` becomes the PromQL
`(<query>) <op> bool <threshold>`, which is 1 where Argo Rollouts would see the condition
met. A measurement is Successful when the successCondition holds, Failed when the
failureCondition holds and Inconclusive when neither does (NaN: no canary traffic).
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from testbed.tools import require_binary
from tests.deploy.k8s_support import K8S, built, load_yaml, one

TEMPLATE = load_yaml(K8S / "base" / "analysis-template.yaml")
ARGS = {"namespace": "kvapi", "canary-hash": "canary"}
CONDITION = re.compile(r"^result\[0\] (>=|<=|>|<) ([0-9.]+)$")
BUCKETS = ("0.1", "0.25", "0.5", "1", "2.5", "+Inf")
STEP = "15s"
SAMPLES = 40  # ten minutes of 15 s samples; evaluated at 8 m, with the query's [2m] window
OUTCOMES = {"success": (1, 0), "failure": (0, 1), "inconclusive": (0, 0)}


@dataclass(frozen=True)
class Traffic:
    """Requests per 15 s of one pod template hash on an API route."""

    pod_hash: str
    ok: int
    errors: int
    slow_share: float  # share of requests slower than 0.5 s (in the 1 s bucket)
    route: str = "/v1/keys/{key}"


def series(traffic: Traffic) -> list[dict[str, str]]:
    labels = (
        f'job="kvapi",namespace="{ARGS["namespace"]}",'
        f'rollouts_pod_template_hash="{traffic.pod_hash}",route="{traffic.route}",method="GET"'
    )
    total = traffic.ok + traffic.errors
    slow = round(total * traffic.slow_share)
    out = [
        {
            "series": f'http_requests_total{{{labels},status="200"}}',
            "values": f"0+{traffic.ok}x{SAMPLES}",
        },
        {
            "series": f'http_requests_total{{{labels},status="503"}}',
            "values": f"0+{traffic.errors}x{SAMPLES}",
        },
    ]
    for le in BUCKETS:
        count = total - slow if float(le) < 1 else total
        out.append(
            {
                "series": f'http_request_duration_seconds_bucket{{{labels},le="{le}"}}',
                "values": f"0+{count}x{SAMPLES}",
            }
        )
    return out


# Every scenario has a sick stable version and failing probes on the canary: neither may leak
# into the verdict on the canary's API traffic.
NOISE = [
    Traffic("stable", ok=300, errors=300, slow_share=0.9),
    Traffic("canary", ok=0, errors=20, slow_share=0.0, route="/readyz"),
]
SCENARIOS = {
    "healthy canary": (
        [Traffic("canary", ok=1990, errors=10, slow_share=0.01)],
        {"success-ratio": "success", "p95-latency-seconds": "success"},
    ),
    "canary returning 5xx": (
        [Traffic("canary", ok=1900, errors=100, slow_share=0.01)],
        {"success-ratio": "failure", "p95-latency-seconds": "success"},
    ),
    "slow canary": (
        [Traffic("canary", ok=2000, errors=0, slow_share=0.2)],
        {"success-ratio": "success", "p95-latency-seconds": "failure"},
    ),
    "canary without API traffic": (
        [],
        {"success-ratio": "inconclusive", "p95-latency-seconds": "inconclusive"},
    ),
}


def as_promql(condition: str, query: str) -> str:
    match = CONDITION.match(condition.strip())
    assert match, f"condition {condition!r} is not of the form result[0] <op> <number>"
    operator, threshold = match.groups()
    return f"({query.strip()}) {operator} bool {threshold}"


def rendered_query(metric: dict, args: dict[str, str] = ARGS) -> str:
    """The query as Argo Rollouts sends it, with the AnalysisRun's arguments substituted."""
    query: str = metric["provider"]["prometheus"]["query"]
    for name, value in args.items():
        query = query.replace(f"{{{{args.{name}}}}}", value)
    assert "{{" not in query, f"unresolved argument in {metric['name']}"
    return query


def expression_tests(outcomes: dict[str, str]) -> list[dict]:
    tests = []
    for metric in TEMPLATE["spec"]["metrics"]:
        query = rendered_query(metric)
        success, failure = OUTCOMES[outcomes[metric["name"]]]
        for condition, expected in (("successCondition", success), ("failureCondition", failure)):
            tests.append(
                {
                    "expr": as_promql(metric[condition], query),
                    "eval_time": "8m",
                    "exp_samples": [{"labels": "{}", "value": expected}],
                }
            )
    return tests


def promtool_test(tmp_path: Path, scenarios: dict) -> subprocess.CompletedProcess[str]:
    promtool = require_binary("promtool", "apt-get install prometheus")
    (tmp_path / "none.yml").write_text("groups: []\n")
    tests = [
        {
            "name": name,
            "interval": STEP,
            "input_series": [s for traffic in NOISE + canary for s in series(traffic)],
            "promql_expr_test": expression_tests(outcomes),
        }
        for name, (canary, outcomes) in scenarios.items()
    ]
    test_file = tmp_path / "canary-analysis.test.yml"
    test_file.write_text(yaml.safe_dump({"rule_files": ["none.yml"], "tests": tests}))
    return subprocess.run(
        [promtool, "test", "rules", str(test_file)], capture_output=True, text=True, check=False
    )


def test_analysis_verdicts_on_synthetic_canaries(tmp_path: Path) -> None:
    result = promtool_test(tmp_path, SCENARIOS)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("scenario", ["canary returning 5xx", "slow canary"])
def test_a_failing_canary_is_not_judged_healthy(tmp_path: Path, scenario: str) -> None:
    """Proves promtool would notice: claiming the sick canary passes must fail the test."""
    canary, _ = SCENARIOS[scenario]
    all_pass = {metric["name"]: "success" for metric in TEMPLATE["spec"]["metrics"]}
    result = promtool_test(tmp_path, {scenario: (canary, all_pass)})
    assert result.returncode != 0, result.stdout
    assert "got:" in result.stderr, result.stderr  # a wrong verdict, not a broken test file


def test_thresholds_are_those_of_the_release_policy() -> None:
    conditions = {m["name"]: m["successCondition"] for m in TEMPLATE["spec"]["metrics"]}
    assert conditions == {
        "success-ratio": "result[0] >= 0.99",
        "p95-latency-seconds": "result[0] <= 0.5",
    }
    assert all(m["failureLimit"] >= 1 for m in TEMPLATE["spec"]["metrics"])


def test_every_overlay_runs_the_analysis_with_the_arguments_it_declares() -> None:
    declared = {arg["name"] for arg in TEMPLATE["spec"]["args"]}
    for overlay in ("dev", "staging", "prod"):
        canary = one(built(overlay), "Rollout", "kvapi")["spec"]["strategy"]["canary"]
        analysis = canary["analysis"]
        assert [t["templateName"] for t in analysis["templates"]] == [TEMPLATE["metadata"]["name"]]
        assert {arg["name"] for arg in analysis["args"]} == declared
        assert analysis["startingStep"] == 1 and "setWeight" in canary["steps"][0]
