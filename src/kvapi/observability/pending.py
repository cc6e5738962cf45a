"""Per-worker metric updates kept in plain Python and flushed into prometheus-client in batches.

In multiprocess mode every prometheus-client update takes a lock and writes an mmapped file,
and `.labels()` takes another lock: about a dozen such operations per request cost more than
the rest of the telemetry together. Here a request only adds to a dict; `Metrics.flush()` moves
the totals into the real metrics about once a second, before every /metrics render and at
shutdown (docs/observability.md says what that delay means). Everything runs on the event loop
thread, so the dicts need no lock.

A histogram can also keep, per bucket, the trace id of the latest request it counted there
(enable_exemplars): exemplars.py carries them to /metrics across workers.
"""

import time
from bisect import bisect_left
from collections.abc import Callable, Sequence

from prometheus_client import Counter, Gauge, Histogram

from kvapi.observability.exemplars import SampleKey, Traced, WorkerExemplars, bucket_key

Labels = tuple[str, ...]
TraceId = Callable[[], str | None]


class PendingCounter:
    def __init__(self, counter: Counter) -> None:
        self._counter = counter
        self._pending: dict[Labels, float] = {}

    def inc(self, labels: Labels, amount: float = 1) -> None:
        self._pending[labels] = self._pending.get(labels, 0) + amount

    def flush(self) -> None:
        pending, self._pending = self._pending, {}
        for labels, amount in pending.items():
            (self._counter.labels(*labels) if labels else self._counter).inc(amount)


class PendingHistogram:
    def __init__(self, histogram: Histogram, buckets: Sequence[float]) -> None:
        self._histogram = histogram
        # prometheus-client's own bounds, +Inf included: bisect_left finds the first bound
        # >= the amount, the bucket Histogram.observe() would have counted it in.
        self._bounds = [*buckets, float("inf")]
        self._pending: dict[Labels, list[float]] = {}  # labels -> [sum, count per bucket...]
        # Off until enable_exemplars(): then the latest sampled trace per (labels, bucket).
        self._trace_id: TraceId | None = None
        self._exemplar_store: WorkerExemplars | None = None
        self._exemplars: dict[tuple[Labels, int], Traced] = {}

    def enable_exemplars(
        self, trace_id: TraceId, store: WorkerExemplars, name: str, labelnames: Sequence[str]
    ) -> None:
        """Remember, per bucket, the trace id `trace_id()` gives while an amount is observed."""
        self._trace_id = trace_id
        self._exemplar_store = store
        self._name = name
        self._labelnames = tuple(labelnames)

    def observe(self, labels: Labels, amount: float) -> None:
        entry = self._pending.get(labels)
        if entry is None:
            entry = self._pending[labels] = [0.0] * (len(self._bounds) + 1)
        entry[0] += amount
        bucket = bisect_left(self._bounds, amount)
        entry[bucket + 1] += 1
        if self._trace_id is not None:
            trace_id = self._trace_id()
            if trace_id is not None:
                self._exemplars[labels, bucket] = Traced(trace_id, amount, time.time())

    def _exemplar_keys(self) -> list[tuple[SampleKey, Traced]]:
        exemplars, self._exemplars = self._exemplars, {}
        return [
            (bucket_key(self._name, self._label_dict(labels), self._bounds[bucket]), traced)
            for (labels, bucket), traced in exemplars.items()
        ]

    def _label_dict(self, labels: Labels) -> dict[str, str]:
        return dict(zip(self._labelnames, labels, strict=True))

    def flush(self) -> None:
        if self._exemplar_store is not None and self._exemplars:
            self._exemplar_store.update(self._exemplar_keys())
        pending, self._pending = self._pending, {}
        for labels, entry in pending.items():
            child = self._histogram.labels(*labels)
            # Histogram has no public "add n observations", so its private per-bucket values
            # are added to; tests/unit/test_pending.py compares the result with observe() on
            # the same samples and fails on a prometheus-client release that changes them.
            child._sum.inc(entry[0])
            for bucket, count in zip(child._buckets, entry[1:], strict=True):
                if count:
                    bucket.inc(count)


class PendingGauge:
    """Requests in progress, counted locally and published as the gauge's value at flush time."""

    def __init__(self, gauge: Gauge) -> None:
        self._gauge = gauge
        self._current: dict[Labels, int] = {}

    def add(self, labels: Labels, delta: int) -> None:
        self._current[labels] = self._current.get(labels, 0) + delta

    def flush(self) -> None:
        for labels, current in self._current.items():
            self._gauge.labels(*labels).set(current)
