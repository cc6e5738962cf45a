"""Primary and replica roles of the test servers, changed the way a failover changes them."""

import redis

from testbed.net import wait_until
from testbed.redis import RedisProcess


def client_of(server: RedisProcess) -> redis.Redis:
    return redis.Redis(port=server.port, decode_responses=True)


def replicate(replica: RedisProcess, primary: RedisProcess) -> None:
    """Make `replica` follow `primary` and wait until its replication link is up."""
    client = client_of(replica)
    client.replicaof("127.0.0.1", primary.port)
    wait_until(
        lambda: client.info("replication")["master_link_status"] == "up", 10, "replication link"
    )


def promote(replica: RedisProcess) -> None:
    client_of(replica).replicaof("NO", "ONE")


def flavour(server: RedisProcess) -> str:
    """ "valkey 9.1.2" or "redis 7.0.15": which server the figures were measured with."""
    info = client_of(server).info("server")
    if "valkey_version" in info:
        return f"valkey {info['valkey_version']}"
    return f"redis {info['redis_version']}"
