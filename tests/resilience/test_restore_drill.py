"""The backup and restore steps of docs/operations.md, run: every key and TTL comes back.

Keys with and without TTLs are written through kvapi, the backup is taken, more keys are
written and one deleted (the "disaster"), the backup is restored into a fresh server, and
kvapi must read back exactly the backed-up keys, with their values and TTLs.

- Locally (`make up`): the documented shell commands themselves, read from operations.md, run
  against the embedded server's AOF directory.
- ElastiCache: its snapshot is a forked save of a node's dataset into an RDB file, and a
  restore creates new nodes loaded from it; this test does that at the Redis level (BGSAVE,
  the RDB copied out, a new server started from it), against valkey or Debian's redis-server.
"""

import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from testbed.net import wait_until
from testbed.processes import KvapiProcess, kvapi_server
from testbed.redis import RedisProcess, redis_server
from testbed.replication import client_of, flavour
from testbed.tools import REPO
from tests.resilience.report import record

OPERATIONS = REPO / "docs" / "operations.md"
KEYS = 60  # a third without TTL, the rest with TTLs of 1 to 2 hours
LATER_KEYS = 10  # written after the backup: the restore must not have them
TTL_SLACK_S = 1  # TTL answers whole seconds, rounded down


def ttl_of(n: int) -> int | None:
    return None if n % 3 == 0 else 3600 + 60 * n


def write(server: KvapiProcess, names: range) -> dict[int, float]:
    """PUT drill-<n> for each n; return when each was sent (time.monotonic())."""
    sent = {}
    with httpx.Client(base_url=server.base_url, timeout=5) as client:
        for n in names:
            body = {"value": f"value-{n}", "ttl_seconds": ttl_of(n)}
            sent[n] = time.monotonic()
            assert client.put(f"/v1/keys/drill-{n}", json=body).status_code == 201
    return sent


def disaster(server: KvapiProcess) -> None:
    """After the backup: new keys, and one backed-up key deleted."""
    write(server, range(KEYS, KEYS + LATER_KEYS))
    assert httpx.delete(f"{server.base_url}/v1/keys/drill-1", timeout=5).status_code == 204


def check_restored(server: KvapiProcess, sent: dict[int, float]) -> dict[str, object]:
    """Every backed-up key with its value and TTL, nothing written after the backup."""
    with httpx.Client(base_url=server.base_url, timeout=5) as client:
        listed = client.get("/v1/keys", params={"prefix": "drill-", "limit": 1000}).json()
        assert sorted(listed["keys"]) == sorted(f"drill-{n}" for n in range(KEYS))
        worst = 0.0
        for n in range(KEYS):
            entry = client.get(f"/v1/keys/drill-{n}").json()
            elapsed = time.monotonic() - sent[n]
            assert entry["value"] == f"value-{n}", entry
            expected = ttl_of(n)
            if expected is None:
                assert entry["ttl_seconds"] is None, entry
                continue
            assert expected - elapsed - TTL_SLACK_S <= entry["ttl_seconds"] <= expected, entry
            worst = max(worst, expected - entry["ttl_seconds"] - elapsed)
    return {
        "keys": KEYS,
        "with_ttl": sum(1 for n in range(KEYS) if ttl_of(n)),
        "ttl_lost_beyond_elapsed_s": round(worst, 3),
    }


def documented_commands(section: str) -> dict[str, list[str]]:
    """The commands of the first bash block under `### <section>`, by their `# comment`."""
    text = OPERATIONS.read_text()
    after = text.split(f"### {section}\n", 1)[1]
    block = re.search(r"```bash\n(.*?)```", after, flags=re.DOTALL)
    assert block, f"no bash block under '### {section}' in docs/operations.md"
    steps: dict[str, list[str]] = {}
    current: list[str] = []
    for line in block.group(1).splitlines():
        if line.startswith("# "):
            current = steps.setdefault(line[2:].split(" (")[0], [])
        elif line.strip():
            current.append(line)
    return steps


def run_in(directory: Path, commands: list[str]) -> None:
    script = "set -euo pipefail\n" + "\n".join(commands)
    subprocess.run(["bash", "-c", script], cwd=directory, check=True, timeout=60)


def test_local_backup_and_restore_as_documented(tmp_path: Path) -> None:
    steps = documented_commands("Locally (`make up`)")
    # `make up` is kvapi serve with an embedded server under KVAPI_DATA_DIR (default .data).
    restore = [c for c in steps["restore"] if c.strip() != "make up"]
    env = {"KVAPI_DATA_DIR": str(tmp_path / ".data")}
    with kvapi_server(None, workers=1, env=env) as server:
        sent = write(server, range(KEYS))
    run_in(tmp_path, steps["backup"])
    (archive,) = tmp_path.glob("kvapi-backup-*.tgz")
    with kvapi_server(None, workers=1, env=env) as server:
        disaster(server)
    run_in(tmp_path, [c.replace("kvapi-backup-<stamp>.tgz", archive.name) for c in restore])
    with kvapi_server(None, workers=1, env=env) as server:
        figures = check_restored(server, sent)
    record(
        "restore-local",
        {"command": ".venv/bin/pytest tests/resilience/test_restore_drill.py", **figures},
    )


def snapshot(node: RedisProcess, to: Path) -> None:
    """What an ElastiCache snapshot does on a node: a forked save to an RDB, copied out."""
    client = client_of(node)
    before = client.lastsave()
    client.bgsave()
    wait_until(lambda: client.lastsave() != before, 30, "BGSAVE")  # LASTSAVE has 1 s steps
    assert client.info("persistence")["rdb_last_bgsave_status"] == "ok"
    shutil.copy(node.data_dir / "dump.rdb", to)


@contextmanager
def restored_from(rdb: Path) -> Iterator[RedisProcess]:
    """A new server whose data is the snapshot, as a group created with --snapshot-name."""
    with tempfile.TemporaryDirectory(prefix="kvapi-restored-") as data_dir:
        shutil.copy(rdb, Path(data_dir) / "dump.rdb")
        server = RedisProcess(Path(data_dir), {"dbfilename": "dump.rdb"})
        server.start()
        try:
            yield server
        finally:
            server.stop()


def test_snapshot_restored_into_a_new_server(tmp_path: Path) -> None:
    rdb = tmp_path / "snapshot.rdb"
    with redis_server() as source, kvapi_server(source.url, workers=1) as server:
        sent = write(server, range(KEYS))
        snapshot(source, rdb)
        disaster(server)
        server_flavour = flavour(source)
    with restored_from(rdb) as restored, kvapi_server(restored.url, workers=1) as server:
        figures = check_restored(server, sent)
    record(
        f"restore-snapshot-{server_flavour.split()[0]}",
        {
            "command": ".venv/bin/pytest tests/resilience/test_restore_drill.py",
            "server": server_flavour,
            **figures,
        },
    )
