"""The guard on pending.py's use of prometheus-client internals.

PendingHistogram.flush writes a Histogram's private per-bucket and sum values (`_buckets`,
`_sum`), which prometheus-client does not promise to keep. These tests feed the same amounts
to a PendingHistogram and to Histogram.observe and require identical expositions, in one
process and in multiprocess mode (the files gunicorn workers write): an upgrade that renames
or changes those fields fails here, loudly, not in production metrics.
"""

import os
import subprocess
import sys
from pathlib import Path

from prometheus_client import CollectorRegistry, Histogram, generate_latest, multiprocess

from kvapi.observability.metrics import HTTP_BUCKETS
from kvapi.observability.pending import PendingHistogram
from testbed.tools import REPO

# Every bucket bound itself (the edge of bisect_left vs observe's <=), between bounds, beyond
# the last bound (+Inf), zero and a repeated value.
AMOUNTS = [0.0, *HTTP_BUCKETS, *(b * 1.5 for b in HTTP_BUCKETS), 42.0, 0.003, 0.003]
LABELS = [("GET", "/a"), ("PUT", "/b/{key}")]


def feed(registry: CollectorRegistry | None, via_pending: bool) -> None:
    """AMOUNTS into a new histogram, through a PendingHistogram or Histogram.observe."""
    histogram = Histogram(
        "h_seconds", "h", ["method", "route"], buckets=HTTP_BUCKETS, registry=registry
    )
    pending = PendingHistogram(histogram, HTTP_BUCKETS)
    for index, amount in enumerate(AMOUNTS):
        labels = LABELS[index % len(LABELS)]
        if via_pending:
            pending.observe(labels, amount)
            if index % 7 == 0:
                pending.flush()  # several flushes add up like one
        else:
            histogram.labels(*labels).observe(amount)
    pending.flush()


def without_created(exposition: bytes) -> list[str]:
    return [line for line in exposition.decode().splitlines() if "_created" not in line]


def test_flushed_histogram_equals_observed_histogram() -> None:
    expositions = []
    for via_pending in (True, False):
        registry = CollectorRegistry()
        feed(registry, via_pending)
        expositions.append(without_created(generate_latest(registry)))
    flushed, observed = expositions
    assert any('le="+Inf"' in line for line in flushed)
    assert flushed == observed


def test_flushed_histogram_equals_observed_histogram_in_multiprocess_mode(tmp_path: Path) -> None:
    expositions = []
    for mode in ("pending", "direct"):
        # prometheus-client picks file-backed values at import, from the environment: a fresh
        # interpreter per mode, each writing its own directory, as a gunicorn worker does.
        directory = tmp_path / mode
        directory.mkdir()
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from tests.unit.test_pending import feed; "
                "feed(None, sys.argv[1] == 'pending')",
                mode,
            ],
            check=True,
            env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)},
            timeout=60,
            cwd=REPO,
        )
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=str(directory))  # type: ignore[no-untyped-call]
        expositions.append(generate_latest(registry))
    flushed, observed = expositions
    assert b"h_seconds_bucket" in flushed
    assert flushed == observed
