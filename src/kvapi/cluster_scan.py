"""Listing keys across the shards of a Redis Cluster, one page at a time.

SCAN walks one node only. A listing walks the primaries one after another, ordered by the
lowest hash slot each one serves, and its cursor says where it stands: that shard's lowest
slot, the node that was walking it (host:port) and the node's own SCAN cursor, encoded as
base64url so that clients treat it as opaque (docs/adr/0096-cluster-listing-cursor.md).

Within one node SCAN keeps its guarantee: a key present for the whole listing is returned at
least once, however many keys are added meanwhile. When the cursor's node no longer serves its
shard (a failover promoted a replica), that node's SCAN position means nothing on the new
primary, so the shard is walked again from the start: keys may repeat, none is skipped.
Slots moved while a listing runs (resharding) may move a key past the walk: the listing stays
valid and answers, but such a key can be missed or repeated.
"""

import base64
import binascii
from dataclasses import dataclass

from redis.asyncio.cluster import ClusterNode, RedisCluster

MAX_SCAN_CURSOR = 2**64 - 1  # Redis answers a larger SCAN cursor with an error
SLOTS = 16384


class InvalidCursor(ValueError):
    """The cursor was not made by this listing."""


@dataclass(frozen=True, slots=True)
class ClusterCursor:
    slot: int  # the lowest slot of the shard being walked: it names the shard across failovers
    node: str  # host:port of the primary whose SCAN position this is
    position: int

    def encode(self) -> str:
        raw = f"{self.slot}/{self.node}/{self.position}".encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    @classmethod
    def decode(cls, text: str) -> "ClusterCursor":
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
            slot, node, position = raw.split("/")
            cursor = cls(slot=int(slot), node=node, position=int(position))
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise InvalidCursor("cursor was not returned by this listing") from None
        if not (0 <= cursor.slot < SLOTS and 0 <= cursor.position <= MAX_SCAN_CURSOR and node):
            raise InvalidCursor("cursor was not returned by this listing")
        return cursor


def shards(client: RedisCluster) -> list[tuple[int, ClusterNode]]:
    """(lowest slot, primary) of every shard that serves slots, by lowest slot."""
    lowest: dict[str, tuple[int, ClusterNode]] = {}
    for slot, nodes in client.nodes_manager.slots_cache.items():
        primary = nodes[0]
        if primary.name not in lowest or slot < lowest[primary.name][0]:
            lowest[primary.name] = (slot, primary)
    return sorted(lowest.values(), key=lambda shard: shard[0])


async def scan_page(
    client: RedisCluster, pattern: str, start: ClusterCursor | None, limit: int
) -> tuple[list[str], str | None]:
    """Up to about `limit` keys matching `pattern`, and the cursor of the rest (None: done)."""
    await client.initialize()  # a no-op once the slot map is known
    walk = shards(client)
    if start is None:
        slot, node = walk[0]
        position = 0
    else:
        slot, node = start.slot, client.nodes_manager.get_node_from_slot(start.slot)
        position = start.position if node.name == start.node else 0
    keys: list[str] = []
    while True:
        # On one node, redis-py's cluster SCAN answers ({node name: cursor}, keys).
        positions, batch = await client.scan(
            position, match=pattern, count=max(limit - len(keys), 10), target_nodes=node
        )
        keys.extend(map(str, batch))
        position = positions[node.name]  # type: ignore[index]
        if position == 0:
            following = [shard for shard in walk if shard[0] > slot]
            if not following:
                return keys, None
            slot, node = following[0]
        if len(keys) >= limit:
            return keys, ClusterCursor(slot, node.name, position).encode()
