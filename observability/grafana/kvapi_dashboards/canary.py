"""The canary by revision, next to the thresholds its analysis judges it by.

In Kubernetes every kvapi series carries `rollouts_pod_template_hash` (the ServiceMonitor's
podTargetLabels), one value per ReplicaSet: during a canary, the stable and the canary
revision side by side. The thresholds are read from the AnalysisTemplate
(deploy/k8s/base/analysis-template.yaml), the one place they are written, so a changed
threshold changes the dashboard at the next `make dashboards` (and `--check` fails before).
Outside Kubernetes the label is absent and each panel shows one unlabelled line.
"""

import re
from pathlib import Path
from typing import Any

import yaml

from .spec import API, RATE, Panel, Query, Row

ANALYSIS_TEMPLATE = (
    Path(__file__).resolve().parents[3] / "deploy" / "k8s" / "base" / "analysis-template.yaml"
)
REVISION = "rollouts_pod_template_hash"
API_SUCCESS = API + ',status!~"5.."'
CONDITION = re.compile(r"^result\[0\] (?:>=|<=|>|<) ([0-9.]+)$")


def analysis_thresholds(path: Path = ANALYSIS_TEMPLATE) -> dict[str, float]:
    """Each analysis metric's successCondition threshold, by metric name."""
    template: dict[str, Any] = yaml.safe_load(path.read_text())
    thresholds = {}
    for metric in template["spec"]["metrics"]:
        match = CONDITION.match(metric["successCondition"].strip())
        if match is None:
            raise ValueError(f"{metric['name']}: unexpected condition {metric['successCondition']}")
        thresholds[metric["name"]] = float(match.group(1))
    return thresholds


THRESHOLDS = analysis_thresholds()
SUCCESS_RATIO = THRESHOLDS["success-ratio"]
P95_SECONDS = THRESHOLDS["p95-latency-seconds"]


def _rate(selector: str) -> str:
    return f"sum by ({REVISION}) (rate(http_requests_total{{{selector}}}[{RATE}]))"


ROW = Row(
    "Canary by revision",
    (
        Panel(
            "API success ratio by revision",
            "Share of API requests (probes and /metrics excluded) not answered with a 5xx, per "
            f"pod template hash, against the canary analysis threshold ({SUCCESS_RATIO}): "
            "below it, the analysis fails the canary (kvapi-canary-health, success-ratio).",
            (
                Query(
                    f"{_rate(API_SUCCESS)} / {_rate(API)}",
                    f"{{{{{REVISION}}}}}",
                ),
                Query(f"vector({SUCCESS_RATIO})", "analysis fails below"),
            ),
            unit="percentunit",
        ),
        Panel(
            "API p95 latency by revision",
            "95th percentile of API request duration per pod template hash, against the canary "
            f"analysis threshold ({P95_SECONDS} s): above it, the analysis fails the canary "
            "(kvapi-canary-health, p95-latency-seconds). Exemplars link to traces.",
            (
                Query(
                    f"histogram_quantile(0.95, sum by ({REVISION}, le) "
                    f"(rate(http_request_duration_seconds_bucket{{{API}}}[{RATE}])))",
                    f"{{{{{REVISION}}}}}",
                    exemplars=True,
                ),
                Query(f"vector({P95_SECONDS})", "analysis fails above"),
            ),
            unit="s",
        ),
    ),
)
