"""The PrometheusRule of deploy/k8s carries exactly the rules of observability/prometheus."""

from __future__ import annotations

import importlib.util
from types import ModuleType

from tests.deploy.k8s_support import K8S, OVERLAYS, built, load_yaml, one


def renderer() -> ModuleType:
    path = K8S / "scripts" / "render_prometheusrule.py"
    spec = importlib.util.spec_from_file_location("render_prometheusrule", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_copy_equals_a_fresh_render() -> None:
    render = renderer()
    fresh = render.render(render.collect_groups(render.rule_files()))
    assert render.OUTPUT.read_text() == fresh, "stale: run `make manifests`"


def test_rule_groups_are_identical_to_the_prometheus_rule_files() -> None:
    render = renderer()
    files = render.rule_files()
    assert files, "observability/prometheus/rules/*.yml is empty"
    from_files = [group for path in files for group in load_yaml(path)["groups"]]
    for overlay in OVERLAYS:
        rule = one(built(overlay), "PrometheusRule", "kvapi")
        assert rule["spec"]["groups"] == from_files
