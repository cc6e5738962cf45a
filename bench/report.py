"""Medians, target ratios, the printed table, the JSON and the chart of a benchmark run."""

import statistics
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.variants import BARE, ORIGINAL, SERVICE, SERVICE_CLUSTER, SERVICE_QUIET, VARIANTS

MAX_FAILED_SHARE = 0.01  # a run with more socket errors or non-2xx answers is not a measurement

Rows = list[dict[str, Any]]
Summary = dict[tuple[int, str, str], dict[str, float]]


@dataclass(frozen=True)
class Check:
    what: str
    value: float
    target: str
    ok: bool


def summarize(rows: Rows) -> Summary:
    grouped: dict[tuple[int, str, str], Rows] = defaultdict(list)
    for row in rows:
        grouped[(row["workers"], row["workload"], row["variant"])].append(row)
    return {
        key: {
            metric: statistics.median(r[metric] for r in runs)
            for metric in ("rps", "p50_ms", "p99_ms", "cpu_us_per_request")
        }
        | {"rounds": len(runs), "worst_failed_share": max(r["failed_share"] for r in runs)}
        for key, runs in grouped.items()
    }


def checks(summary: Summary) -> list[Check]:
    """Issue 9 item 3 and issue 3 item 5, as ratios of medians from the same run."""
    found: list[Check] = []
    for workers, workload in sorted({(w, wl) for w, wl, _ in summary}):
        at = {v: summary.get((workers, workload, v)) for v in VARIANTS}
        a, a0, b, c = (at[v.name] for v in (SERVICE, SERVICE_QUIET, ORIGINAL, BARE))
        where = f"{workers} worker(s), {workload}"
        if a and b:
            ratio = a["rps"] / b["rps"]
            found.append(Check(f"{where}: (a)/(b) req/s", ratio, ">= 3.0", ratio >= 3.0))
            p99 = a["p99_ms"] / b["p99_ms"]
            found.append(Check(f"{where}: (a)/(b) p99", p99, "<= 0.5", p99 <= 0.5))
        if a and c:
            ratio = a["rps"] / c["rps"]
            found.append(Check(f"{where}: (a)/(c) req/s", ratio, ">= 0.5", ratio >= 0.5))
        if a and a0:
            drop = 1 - a["rps"] / a0["rps"]
            what = f"{where}: telemetry cost 1-(a)/(a0)"
            found.append(Check(what, drop, "<= 0.15", drop <= 0.15))
    for (workers, workload, variant), s in sorted(summary.items()):
        if s["worst_failed_share"] > MAX_FAILED_SHARE:
            what = f"{workers} worker(s), {workload}, {variant}: failed share"
            found.append(Check(what, s["worst_failed_share"], "<= 0.01", False))
    return found


def cluster_figures(summary: Summary) -> dict[str, float]:
    """The service against the 3-shard cluster, as ratios to the service against one node."""
    found: dict[str, float] = {}
    for workers, workload in sorted({(w, wl) for w, wl, _ in summary}):
        single = summary.get((workers, workload, SERVICE.name))
        cluster = summary.get((workers, workload, SERVICE_CLUSTER.name))
        if single and cluster:
            where = f"{workers} worker(s), {workload}: (a/cl)/(a)"
            found[f"{where} req/s"] = cluster["rps"] / single["rps"]
            found[f"{where} p99"] = cluster["p99_ms"] / single["p99_ms"]
    return found


def figure_lines(figures: dict[str, float]) -> str:
    return "\n".join(f"FIGURE  {what} = {value:.3f}" for what, value in figures.items())


def table(summary: Summary) -> str:
    lines = [
        "| workers | workload | variant | req/s | p50 ms | p99 ms | CPU µs/req | vs (b) | vs (c) |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for (workers, workload, variant), s in sorted(
        summary.items(), key=lambda item: (item[0][0], item[0][1], list(VARIANTS).index(item[0][2]))
    ):
        base = summary.get((workers, workload, ORIGINAL.name))
        ceiling = summary.get((workers, workload, BARE.name))
        vs_b = f"{s['rps'] / base['rps']:.2f}x" if base else "-"
        vs_c = f"{s['rps'] / ceiling['rps']:.2f}x" if ceiling else "-"
        lines.append(
            f"| {workers} | {workload} | {VARIANTS[variant].label} | {s['rps']:.0f} "
            f"| {s['p50_ms']:.1f} | {s['p99_ms']:.1f} | {s['cpu_us_per_request']:.0f} "
            f"| {vs_b} | {vs_c} |"
        )
    return "\n".join(lines)


def check_lines(found: list[Check]) -> str:
    return "\n".join(
        f"{'PASS' if c.ok else 'FAIL'}  {c.what} = {c.value:.3f} (target {c.target})" for c in found
    )


def chart(summary: Summary, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    panels = sorted({(w, wl) for w, wl, _ in summary})
    fig, axes = plt.subplots(len(panels), 2, figsize=(12, 3.2 * len(panels)), squeeze=False)
    for (workers, workload), (left, right) in zip(panels, axes, strict=True):
        names = [v for v in VARIANTS if (workers, workload, v) in summary]
        stats = [summary[(workers, workload, v)] for v in names]
        labels = [VARIANTS[v].label.split(")")[0] + ")" for v in names]
        left.bar(labels, [s["rps"] for s in stats], color="tab:blue")
        left.set_title(f"{workers} worker(s), {workload}: throughput (median)")
        left.set_ylabel("req/s")
        positions = range(len(names))
        right.bar([p - 0.2 for p in positions], [s["p50_ms"] for s in stats], 0.4, label="p50")
        right.bar([p + 0.2 for p in positions], [s["p99_ms"] for s in stats], 0.4, label="p99")
        right.set_xticks(list(positions), labels)
        right.set_title(f"{workers} worker(s), {workload}: latency (median of rounds)")
        right.set_ylabel("ms")
        right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
