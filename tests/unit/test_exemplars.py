"""Exemplars shared by the workers' files: the most recent per bucket wins, a dead worker's
file goes, and only the buckets that have one change in the exposition."""

from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, Histogram

from kvapi.observability import exemplars
from kvapi.observability.exemplars import (
    Traced,
    WithExemplars,
    WorkerExemplars,
    bucket_key,
    forget_worker,
)

NAME = "http_request_duration_seconds"
GET_ROOT = {"method": "GET", "route": "/"}


def as_worker(monkeypatch: pytest.MonkeyPatch, pid: int, store: WorkerExemplars) -> None:
    monkeypatch.setattr(exemplars, "current_pid", lambda: pid)
    store.flush()


def test_the_most_recent_exemplar_of_any_worker_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = WorkerExemplars(str(tmp_path)), WorkerExemplars(str(tmp_path))
    fast, slow = bucket_key(NAME, GET_ROOT, 0.005), bucket_key(NAME, GET_ROOT, 0.5)
    first.update([(fast, Traced("a" * 32, 0.004, 100.0)), (slow, Traced("b" * 32, 0.4, 300.0))])
    second.update([(fast, Traced("c" * 32, 0.003, 200.0)), (slow, Traced("d" * 32, 0.3, 50.0))])
    as_worker(monkeypatch, 101, first)
    as_worker(monkeypatch, 102, second)
    merged = WorkerExemplars(str(tmp_path)).merged()
    assert merged == {fast: Traced("c" * 32, 0.003, 200.0), slow: Traced("b" * 32, 0.4, 300.0)}
    assert not list(tmp_path.glob("*.tmp"))  # written aside, then renamed

    forget_worker(str(tmp_path), 102)
    assert WorkerExemplars(str(tmp_path)).merged()[fast].trace_id == "a" * 32
    forget_worker(str(tmp_path), 102)  # twice: the file is already gone, no error


def test_buckets_without_an_exemplar_are_left_alone() -> None:
    registry = CollectorRegistry()
    histogram = Histogram(NAME, "d", ["method", "route"], buckets=(0.005, 0.5), registry=registry)
    histogram.labels("GET", "/").observe(0.004)
    key = bucket_key(NAME, GET_ROOT, 0.005)
    (metric,) = [m for m in WithExemplars(registry, {key: Traced("e" * 32, 0.004, 1.0)}).collect()]
    with_exemplar = {
        s.labels["le"]: s.exemplar for s in metric.samples if s.name.endswith("_bucket")
    }
    assert with_exemplar["0.005"] is not None
    assert with_exemplar["0.005"].labels == {"trace_id": "e" * 32}
    assert with_exemplar["0.5"] is None and with_exemplar["+Inf"] is None
