"""`make bench`: the service against the original design and a bare-ASGI ceiling, with wrk.

One Redis for the whole run. For each worker count, every variant's server runs side by side
and the rounds are interleaved (a a0 b c, a a0 b c, ...) so that noise from other processes on
the machine hits every variant alike; medians of the rounds are reported. With one worker the
servers share core 0 and wrk and Redis share core 1; with two workers nothing is pinned (two
cores cannot give two workers, wrk and Redis a core each). Exits 1 when a target fails.
"""

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import redis

from bench import report
from bench.cpu import cpu_seconds
from bench.load import WORKLOADS, run_wrk
from bench.servers import MEMORY_TMP, clean_environment, running
from bench.stores import Stores, cluster_when
from bench.variants import BENCH_TOKEN, DEFAULT, VARIANTS
from testbed.otlp import otlp_sink
from testbed.redis import redis_server

SERVER_CPUS, CLIENT_CPUS = "0", "1"


def cpus_for(workers: int) -> tuple[str | None, str | None]:
    if workers == 1 and (os.cpu_count() or 1) >= 2:
        return SERVER_CPUS, CLIENT_CPUS
    return None, None


def redis_command_cost(redis_url: str) -> dict[str, float]:
    """Redis's own CPU per command over the whole run: the basis of the capacity model."""
    client = redis.Redis.from_url(redis_url)
    stats = client.info("commandstats")
    client.close()
    return {
        name.removeprefix("cmdstat_"): values["usec_per_call"]
        for name, values in stats.items()
        if values.get("calls", 0) >= 1000
    }


def machine() -> dict[str, Any]:
    def first_line(*command: str) -> str:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        return (done.stdout or done.stderr).strip().splitlines()[0]

    model = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.machine(),
    )  # fmt: skip
    return {
        "cpu": model,
        "cpus": os.cpu_count(),
        "os": first_line("sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "wrk": first_line("wrk", "--version"),
        "load_average_at_start": os.getloadavg(),
    }


def measure_all(
    args: argparse.Namespace, stores: Stores, log_dir: Path, otlp_endpoint: str | None
) -> report.Rows:
    rows: report.Rows = []
    wrk_env = clean_environment() | {"BENCH_TOKEN": BENCH_TOKEN}
    for workers in args.workers:
        server_cpus, client_cpus = cpus_for(workers)
        stores.seed()
        variants = [VARIANTS[name] for name in args.variants]
        with contextlib.ExitStack() as stack:
            servers = [
                stack.enter_context(
                    running(
                        variant,
                        workers,
                        stores.url_for(variant),
                        server_cpus,
                        log_dir,
                        otlp_endpoint,
                    )
                )
                for variant in variants
                if workers in variant.worker_counts
            ]
            for server in servers:  # connections, pools and caches warm before measuring
                run_wrk(
                    server.base_url, "get_root", args.warmup, args.connections, client_cpus, wrk_env
                )
            for round_number in range(1, args.rounds + 1):
                for workload in args.workloads:
                    for server in servers:
                        stores.seed()
                        cpu_before = cpu_seconds(server.process.pid)
                        m = run_wrk(
                            server.base_url, workload, args.seconds, args.connections,
                            client_cpus, wrk_env,
                        )  # fmt: skip
                        cpu = cpu_seconds(server.process.pid) - cpu_before
                        row = {
                            "workers": workers, "workload": workload,
                            "variant": server.variant.name, "round": round_number,
                            "rps": m.rps, "p50_ms": m.p50_ms, "p90_ms": m.p90_ms,
                            "p99_ms": m.p99_ms, "max_ms": m.max_ms, "requests": m.requests,
                            "errors": m.errors, "non_2xx": m.non_2xx,
                            "failed_share": m.failed_share,
                            "cpu_us_per_request": cpu * 1e6 / max(m.requests, 1),
                        }  # fmt: skip
                        rows.append(row)
                        print(
                            f"  {workers}w {workload:9} round {round_number} "
                            f"{server.variant.name:22} {m.rps:8.0f} req/s  p50 {m.p50_ms:6.1f} ms"
                            f"  p99 {m.p99_ms:7.1f} ms  {row['cpu_us_per_request']:5.0f} CPU-us/req"
                            f"  failed {m.failed_share:.1%}",
                            flush=True,
                        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=5, help="per measured run")
    parser.add_argument("--warmup", type=int, default=2, help="per server, unmeasured")
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--workloads", nargs="+", choices=list(WORKLOADS), default=list(WORKLOADS))
    parser.add_argument(
        "--variants", nargs="+", choices=list(VARIANTS), default=[v.name for v in DEFAULT]
    )
    parser.add_argument("--out", type=Path, default=Path("results/bench"))
    args = parser.parse_args(argv)

    args.out.mkdir(parents=True, exist_ok=True)
    started = time.time()
    about = machine()
    logs = tempfile.TemporaryDirectory(prefix="kvapi-bench-", dir=MEMORY_TMP)
    needs_cluster = any(
        VARIANTS[name].cluster and set(VARIANTS[name].worker_counts) & set(args.workers)
        for name in args.variants
    )
    traced = any(VARIANTS[name].traced for name in args.variants)
    with (
        logs as tmp,
        redis_server() as redis_proc,
        cluster_when(needs_cluster) as cluster_url,
        otlp_sink(keep_ids=False) if traced else contextlib.nullcontext() as sink,
    ):
        assert redis_proc.process is not None
        _, client_cpus = cpus_for(min(args.workers))
        if client_cpus is not None:  # Redis shares the client's core, away from the servers
            os.sched_setaffinity(redis_proc.process.pid, {int(client_cpus)})
        rows = measure_all(
            args, Stores(redis_proc.url, cluster_url), Path(tmp), sink.endpoint if sink else None
        )
        redis_cost = redis_command_cost(redis_proc.url)

    summary = report.summarize(rows)
    found = report.checks(summary)
    figures = report.cluster_figures(summary)
    table, verdicts = report.table(summary), report.check_lines(found)
    if figures:
        verdicts += "\n" + report.figure_lines(figures)
    command = " ".join(["python -m bench.run", *(argv if argv is not None else sys.argv[1:])])
    print(f"\n{table}\n\n{verdicts}\n")
    document = {
        "command": command,
        "machine": about,
        "settings": {k: v for k, v in vars(args).items() if k != "out"},
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "seconds_total": round(time.time() - started),
        "variants": {name: VARIANTS[name].label for name in args.variants},
        "summary": [
            {"workers": w, "workload": wl, "variant": v, **s}
            for (w, wl, v), s in sorted(summary.items())
        ],
        "checks": [vars(c) for c in found],
        "figures": figures,
        "redis_usec_per_call": redis_cost,
        "runs": rows,
    }
    (args.out / "bench.json").write_text(json.dumps(document, indent=2))
    (args.out / "bench.md").write_text(f"{table}\n\n```\n{verdicts}\n```\n")
    report.chart(summary, args.out / "bench.png")
    print(f"wrote {args.out}/bench.json, bench.md, bench.png in {document['seconds_total']} s")
    return 0 if all(c.ok for c in found) else 1


if __name__ == "__main__":
    sys.exit(main())
