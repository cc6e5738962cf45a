"""A real Redis Cluster on loopback: 3 primaries and 3 replicas, made by `redis-cli --cluster`.

The servers are the suite's Redis flavour (valkey by default, Debian's redis-server 7 when
KVAPI_TEST_REDIS_SERVER says so); redis-cli comes with Debian's redis-tools, which CI installs
with redis-server. Each node has its own free port and directory (for its nodes.conf).
"""

import contextlib
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import redis

from testbed.net import free_port, wait_until
from testbed.redis import RedisProcess
from testbed.tools import require_binary

PRIMARIES, REPLICAS_PER_PRIMARY = 3, 1
NODE_TIMEOUT_MS = 1500  # how long a silent primary has before its replica takes over
SLOTS = 16384


@dataclass(frozen=True)
class NodeInfo:
    node_id: str
    port: int
    role: str  # "master" or "slave", as CLUSTER NODES says
    primary_id: str | None  # a replica's primary
    slots: int  # how many slots a primary serves


def parse_nodes(text: str) -> list[NodeInfo]:
    """CLUSTER NODES, one line per node: id addr flags master ping pong epoch link slots..."""
    nodes = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 8 or "fail" in fields[2].split(",") or "noaddr" in fields[2]:
            continue
        port = int(fields[1].split("@")[0].rsplit(":", 1)[1])
        role = "master" if "master" in fields[2] else "slave"
        slots = 0
        for part in fields[8:]:
            if part.startswith("["):  # a slot being migrated, counted where it lives now
                continue
            low, _, high = part.partition("-")
            slots += int(high or low) - int(low) + 1
        primary = fields[3] if fields[3] != "-" else None
        nodes.append(NodeInfo(fields[0], port, role, primary, slots))
    return nodes


class LocalCluster:
    def __init__(self, base_dir: Path) -> None:
        self.redis_cli = require_binary("redis-cli", "apt install redis-tools")
        config = {
            "cluster-enabled": "yes",
            "cluster-node-timeout": str(NODE_TIMEOUT_MS),
            "cluster-config-file": "nodes.conf",
            "repl-diskless-sync-delay": "0",  # replicas sync at once, not after 5 s
        }
        self.nodes: list[RedisProcess] = []
        for index in range(PRIMARIES * (1 + REPLICAS_PER_PRIMARY)):
            node_dir = base_dir / f"node{index}"
            node_dir.mkdir()
            # The bus port defaults to port + 10000, out of range for a high free port.
            bus = {"cluster-port": str(free_port())}
            self.nodes.append(RedisProcess(node_dir, {**config, **bus}))

    @property
    def url(self) -> str:
        """Any one node: kvapi finds the others from it, as from ElastiCache's endpoint."""
        return self.nodes[0].url

    def start(self) -> None:
        for node in self.nodes:
            node.start()
        addresses = [f"127.0.0.1:{node.port}" for node in self.nodes]
        self.cli("--cluster", "create", *addresses, "--cluster-replicas", "1", "--cluster-yes")
        wait_until(self.healthy, 30, "cluster_state:ok on every node, replicas in sync")

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [self.redis_cli, *args], capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, f"redis-cli {' '.join(args)}:\n{done.stdout}{done.stderr}"
        return done.stdout

    def running(self) -> list[RedisProcess]:
        return [node for node in self.nodes if node.process is not None]

    def client(self, node: RedisProcess) -> redis.Redis:
        return redis.Redis(port=node.port, socket_timeout=1, decode_responses=True)

    def topology(self, node: RedisProcess | None = None) -> list[NodeInfo]:
        """The nodes as a running node sees them, failed ones left out."""
        with self.client(node or self.running()[0]) as client:
            return parse_nodes(str(client.execute_command("CLUSTER", "NODES")))

    def agreed(self) -> bool:
        """Every running node has the same view of which primary serves how many slots (what
        `redis-cli --cluster check` demands before it reshards)."""
        try:
            views = {
                frozenset((n.node_id, n.slots) for n in self.topology(node) if n.role == "master")
                for node in self.running()
            }
        except (redis.RedisError, OSError):
            return False
        return len(views) == 1

    def primaries(self) -> list[NodeInfo]:
        return [node for node in self.topology() if node.role == "master" and node.slots]

    def owners(self) -> dict[int, str]:
        """slot -> host:port of its primary, as a fresh client reads it from the cluster."""
        client: redis.RedisCluster = redis.RedisCluster.from_url(self.running()[0].url)
        try:
            return {slot: nodes[0].name for slot, nodes in client.nodes_manager.slots_cache.items()}
        finally:
            client.close()

    def node(self, port: int) -> RedisProcess:
        return next(node for node in self.nodes if node.port == port)

    def healthy(self) -> bool:
        """Every running node says the cluster is ok, knows every running node, and each
        primary serving slots has an in-sync replica."""
        try:
            for node in self.running():
                with self.client(node) as client:
                    info = client.cluster("INFO")
                    if info["cluster_state"] != "ok":
                        return False
                    if int(info["cluster_slots_ok"]) != SLOTS:
                        return False
                    if int(info["cluster_known_nodes"]) < len(self.running()):
                        return False
                    if client.info("replication")["role"] == "slave":
                        link = client.info("replication").get("master_link_status")
                        if link != "up":
                            return False
            return len(self.primaries()) == PRIMARIES and self.agreed()
        except (redis.RedisError, OSError, KeyError):
            return False

    def reshard(self, source: NodeInfo, target: NodeInfo, slots: int) -> None:
        """Move `slots` slots, and their keys, with MIGRATE: clients see MOVED and ASK."""
        wait_until(self.agreed, 30, "every node agreeing on the slots before resharding")
        self.cli(
            "--cluster",
            "reshard",
            f"127.0.0.1:{target.port}",
            "--cluster-from",
            source.node_id,
            "--cluster-to",
            target.node_id,
            "--cluster-slots",
            str(slots),
            "--cluster-yes",
            "--cluster-pipeline",
            "10",
        )

    def stop(self) -> None:
        for node in self.nodes:
            if node.process is not None:
                node.resume()
            node.stop()


@contextlib.contextmanager
def local_cluster() -> Iterator[LocalCluster]:
    """A started cluster, stopped afterwards (skips outside CI without redis-cli)."""
    with tempfile.TemporaryDirectory(prefix="kvapi-cluster-") as base_dir:
        cluster = LocalCluster(Path(base_dir))
        try:
            cluster.start()
            yield cluster
        finally:
            cluster.stop()
