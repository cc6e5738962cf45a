"""The Rollout's abort settings mean what their comments say (Argo Rollouts v1.9.0 semantics).

- `abortScaleDownDelaySeconds` is read only for a canary with traffic routing
  (utils/defaults GetAbortScaleDownDelaySecondsOrDefault): it is set exactly where routing is.
- A metric fails when failed > failureLimit and is inconclusive when inconclusive >
  inconclusiveLimit (analysis/analysis.go): the comments name the counts that follow.
"""

from __future__ import annotations

import re

import pytest

from tests.deploy.k8s_support import K8S, OVERLAYS, Obj, built, of_kind


def canary(overlay: str) -> Obj:
    (rollout,) = of_kind(built(overlay), "Rollout")
    strategy: Obj = rollout["spec"]["strategy"]["canary"]
    return strategy


def abort_delay_problems(strategy: Obj) -> list[str]:
    has_delay = "abortScaleDownDelaySeconds" in strategy
    if has_delay and "trafficRouting" not in strategy:
        return ["abortScaleDownDelaySeconds without trafficRouting: Argo Rollouts ignores it"]
    return []


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_abort_scale_down_delay_only_with_traffic_routing(overlay: str) -> None:
    assert abort_delay_problems(canary(overlay)) == []


def test_prod_keeps_aborted_canary_pods_behind_the_alb() -> None:
    strategy = canary("prod")
    assert "alb" in strategy["trafficRouting"]
    assert strategy["abortScaleDownDelaySeconds"] == 300


def test_a_delay_without_routing_is_caught() -> None:
    strategy = {**canary("dev"), "abortScaleDownDelaySeconds": 300}
    assert abort_delay_problems(strategy)


def measurements_to(limit: int) -> int:
    """How many failed (or inconclusive) measurements end a metric: the first above the limit."""
    return limit + 1


def test_comments_state_the_counts_the_controller_applies() -> None:
    (template,) = of_kind(built("prod"), "AnalysisTemplate")
    text = (K8S / "base" / "analysis-template.yaml").read_text()
    for metric in template["spec"]["metrics"]:
        failures, inconclusive = metric["failureLimit"], metric["inconclusiveLimit"]
        assert f"failureLimit: {failures} tolerates" in text
        assert f"aborts on {measurements_to(failures)} failed measurements" in text
        assert f"pauses after {measurements_to(inconclusive)} inconclusive" in text
    rollout_text = (K8S / "base" / "rollout.yaml").read_text()
    limit = template["spec"]["metrics"][0]["failureLimit"]
    ordinal = {1: "first", 2: "second", 3: "third"}[measurements_to(limit)]
    assert f"the {ordinal} failed measurement aborts" in rollout_text
    assert not re.search(r"a failed measurement aborts", rollout_text)
