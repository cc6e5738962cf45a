"""Per-worker metric updates kept in plain Python and flushed into prometheus-client in batches.

In multiprocess mode every prometheus-client update takes a lock and writes an mmapped file,
and `.labels()` takes another lock: about a dozen such operations per request cost more than
the rest of the telemetry together. Here a request only adds to a dict; `Metrics.flush()` moves
the totals into the real metrics about once a second, before every /metrics render and at
shutdown (docs/observability.md says what that delay means). Everything runs on the event loop
thread, so the dicts need no lock.
"""

from bisect import bisect_left
from collections.abc import Sequence

from prometheus_client import Counter, Gauge, Histogram

Labels = tuple[str, ...]


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

    def observe(self, labels: Labels, amount: float) -> None:
        entry = self._pending.get(labels)
        if entry is None:
            entry = self._pending[labels] = [0.0] * (len(self._bounds) + 1)
        entry[0] += amount
        entry[bisect_left(self._bounds, amount) + 1] += 1

    def flush(self) -> None:
        pending, self._pending = self._pending, {}
        for labels, entry in pending.items():
            child = self._histogram.labels(*labels)
            # Histogram has no public "add n observations": its per-bucket values are the
            # documented storage of the multiprocess files, stable across releases.
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
