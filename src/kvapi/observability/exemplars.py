"""Histogram bucket exemplars (the trace of a recent request) across gunicorn workers.

prometheus-client's multiprocess values drop exemplars (its MmapedValue.set_exemplar does
nothing), so the workers share them here instead: each worker keeps the latest sampled trace per
bucket and, at every metrics flush, replaces its own small file exemplars_<pid>.json in
PROMETHEUS_MULTIPROC_DIR (written aside and renamed, so a reader never sees half a file).
/metrics reads every worker's file and gives each bucket the most recent exemplar of any worker.
Without a multiprocess directory (one process, the tests) the table stays in memory.
Exemplars only appear in the OpenMetrics exposition, which Prometheus asks for.
"""

import contextlib
import glob
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import orjson
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from prometheus_client.samples import Exemplar
from prometheus_client.utils import floatToGoString

from kvapi.observability.logging import current_pid

TRACE_ID_LABEL = "trace_id"
FILE_PREFIX = "exemplars_"

# A bucket sample: its name and its labels, `le` included, sorted.
SampleKey = tuple[str, tuple[tuple[str, str], ...]]


@dataclass(frozen=True)
class Traced:
    trace_id: str
    value: float
    timestamp: float


def bucket_key(name: str, labels: dict[str, str], bound: float) -> SampleKey:
    le = floatToGoString(bound)  # type: ignore[no-untyped-call]
    return f"{name}_bucket", tuple(sorted({**labels, "le": le}.items()))


class WorkerExemplars:
    """This worker's latest exemplar per bucket, and every worker's when rendering."""

    def __init__(self, directory: str | None) -> None:
        self._directory = directory
        self._latest: dict[SampleKey, Traced] = {}
        self._changed = False

    def update(self, exemplars: Iterable[tuple[SampleKey, Traced]]) -> None:
        for key, traced in exemplars:
            self._latest[key] = traced
            self._changed = True

    def flush(self) -> None:
        if self._directory is None or not self._changed:
            return
        self._changed = False
        path = os.path.join(self._directory, f"{FILE_PREFIX}{current_pid()}.json")
        rows = [
            [name, list(labels), traced.trace_id, traced.value, traced.timestamp]
            for (name, labels), traced in self._latest.items()
        ]
        with open(path + ".tmp", "wb") as file:
            file.write(orjson.dumps(rows))
        os.replace(path + ".tmp", path)

    def merged(self) -> dict[SampleKey, Traced]:
        if self._directory is None:
            return dict(self._latest)
        merged: dict[SampleKey, Traced] = {}
        for path in glob.glob(os.path.join(self._directory, f"{FILE_PREFIX}*.json")):
            with contextlib.suppress(FileNotFoundError):  # a dead worker's file, just removed
                with open(path, "rb") as file:
                    rows = orjson.loads(file.read())
                for name, labels, trace_id, value, timestamp in rows:
                    key = (name, tuple((label, text) for label, text in labels))
                    known = merged.get(key)
                    if known is None or known.timestamp < timestamp:
                        merged[key] = Traced(trace_id, value, timestamp)
        return merged


def forget_worker(directory: str, pid: int) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(os.path.join(directory, f"{FILE_PREFIX}{pid}.json"))


class WithExemplars(Collector):
    """`source`'s metrics, with the exemplars attached to their histogram buckets."""

    def __init__(self, source: Collector, exemplars: dict[SampleKey, Traced]) -> None:
        self._source = source
        self._exemplars = exemplars

    def collect(self) -> Iterator[Metric]:
        for metric in self._source.collect():
            if metric.type == "histogram" and self._exemplars:
                metric.samples = [
                    sample._replace(exemplar=self._exemplar(sample.name, sample.labels))
                    for sample in metric.samples
                ]
            yield metric

    def _exemplar(self, name: str, labels: dict[str, str]) -> Exemplar | None:
        traced = self._exemplars.get((name, tuple(sorted(labels.items()))))
        if traced is None:
            return None
        return Exemplar({TRACE_ID_LABEL: traced.trace_id}, traced.value, traced.timestamp)
