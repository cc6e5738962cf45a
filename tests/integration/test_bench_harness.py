"""The benchmark's baseline and ceiling apps answer correctly, and `make bench` runs end to end.

`make bench` compares the service with bench/original_app.py and bench/bare_app.py; a bench
whose yardsticks return errors would compare against nothing. These run the real servers
(gunicorn with the service's worker class) against a real Redis. No timing is asserted.
"""

import json
from pathlib import Path

import httpx
import pytest
import redis
from bench import run
from bench.servers import running
from bench.stores import Stores, cluster_when
from bench.variants import BARE, ORIGINAL, SERVICE_CLUSTER, SERVICE_TRACED, Variant

from testbed.net import wait_until
from testbed.otlp import otlp_sink
from testbed.processes import KvapiProcess
from testbed.redis import RedisProcess, redis_server
from testbed.tools import require_binary

pytestmark = pytest.mark.slow  # real server processes: `make test-fast` leaves these out


@pytest.mark.parametrize("variant", [ORIGINAL, BARE], ids=lambda v: v.name)
def test_yardstick_apps_answer_the_legacy_contract(
    variant: Variant, private_redis: RedisProcess, tmp_path: Path
) -> None:
    client = redis.Redis.from_url(private_redis.url, decode_responses=True)
    client.set("example_key", "hello")
    with running(variant, 1, private_redis.url, None, tmp_path) as server:
        assert httpx.get(server.base_url + "/").json() == {"message": "hello"}
        written = httpx.post(server.base_url + "/write/fruit", params={"value": "apple pie"})
        assert written.status_code == 200
        assert written.json() == {"message": "Key 'fruit' set to 'apple pie'"}
    assert client.get("fruit") == "apple pie"
    client.close()


def test_bench_runs_end_to_end_and_writes_its_reports(tmp_path: Path) -> None:
    require_binary("wrk", "apt-get install wrk")
    status = run.main(
        ["--rounds", "1", "--seconds", "1", "--warmup", "1", "--workers", "1",
         "--variants", ORIGINAL.name, BARE.name, "--out", str(tmp_path)]
    )  # fmt: skip
    report = json.loads((tmp_path / "bench.json").read_text())
    assert status == 0, report["checks"]
    assert {(r["variant"], r["workload"]) for r in report["runs"]} == {
        (variant, workload)
        for variant in (ORIGINAL.name, BARE.name)
        for workload in ("get_root", "write_mix")
    }
    for measured in report["runs"]:
        assert measured["requests"] > 0
        assert measured["failed_share"] == 0, measured  # every answer was a 2xx
    assert (tmp_path / "bench.png").stat().st_size > 0
    assert "| workers | workload | variant |" in (tmp_path / "bench.md").read_text()


def test_the_cluster_variant_serves_the_seeded_cluster(tmp_path: Path) -> None:
    with redis_server() as single, cluster_when(True) as cluster_url:
        stores = Stores(single.url, cluster_url)
        stores.seed()
        assert stores.url_for(SERVICE_CLUSTER) == cluster_url
        with running(SERVICE_CLUSTER, 2, stores.url_for(SERVICE_CLUSTER), None, tmp_path) as server:
            assert httpx.get(server.base_url + "/").json() == {"message": "hello"}
            assert httpx.get(server.base_url + "/v1/keys").json()["keys"] == ["example_key"]
    with pytest.raises(ValueError, match="needs the cluster"):
        Stores("redis://127.0.0.1:1").url_for(SERVICE_CLUSTER)


def test_the_traced_variant_exports_its_spans(private_redis: RedisProcess, tmp_path: Path) -> None:
    """(at) is what the tracing cost is measured on: it must really trace and export."""

    def traced_ids(server: KvapiProcess) -> set[str]:
        return {
            str(record["trace_id"])
            for record in server.log_records()
            if record.get("path") == "/v1/keys/missing" and record.get("trace_id")
        }

    Stores(private_redis.url).seed()  # the bench's readiness check, GET /, needs example_key
    with (
        otlp_sink() as sink,
        running(SERVICE_TRACED, 1, private_redis.url, None, tmp_path, sink.endpoint) as server,
    ):
        assert httpx.get(server.base_url + "/v1/keys/missing").status_code == 404
        wait_until(
            lambda: bool(traced_ids(server)) and traced_ids(server) <= sink.received(),
            15,
            "the request's trace at the OTLP receiver",
        )
    with pytest.raises(ValueError, match="OTLP endpoint"):
        SERVICE_TRACED.environment(8000, 1, private_redis.url)
