"""Redis: throughput, hit rate, memory, clients, evictions and expiries, replication."""

from .spec import KVAPI, NEEDS_REPLICA, RATE, REDIS, Dashboard, Panel, Query, Row


def redis_rate(metric: str, legend: str = "{{instance}}") -> Query:
    return Query(f"rate({metric}{{{REDIS}}}[{RATE}])", legend)


DASHBOARD = Dashboard(
    uid="kvapi-redis",
    title="kvapi / Redis",
    description="The Redis behind kvapi, from redis_exporter, and the connection pools of "
    "the service.",
    rows=(
        Row(
            "Throughput",
            (
                Panel(
                    "Redis up",
                    "1 when redis_exporter could reach Redis at its last scrape.",
                    (Query(f"redis_up{{{REDIS}}}", "{{instance}}"),),
                    kind="stat",
                    width=6,
                ),
                Panel(
                    "Commands per second",
                    "All commands processed by Redis.",
                    (redis_rate("redis_commands_processed_total"),),
                    unit="ops",
                    width=9,
                ),
                Panel(
                    "Keyspace hit rate",
                    "Share of key lookups that found their key.",
                    (
                        Query(
                            f"rate(redis_keyspace_hits_total{{{REDIS}}}[{RATE}]) / "
                            f"(rate(redis_keyspace_hits_total{{{REDIS}}}[{RATE}]) + "
                            f"rate(redis_keyspace_misses_total{{{REDIS}}}[{RATE}]))",
                            "{{instance}}",
                        ),
                    ),
                    unit="percentunit",
                    width=9,
                ),
            ),
        ),
        Row(
            "Memory",
            (
                Panel(
                    "Memory used and maxmemory",
                    "Bytes allocated by Redis against its maxmemory (0 = no limit set).",
                    (
                        Query(f"redis_memory_used_bytes{{{REDIS}}}", "used {{instance}}"),
                        Query(f"redis_memory_max_bytes{{{REDIS}}}", "max {{instance}}"),
                    ),
                    unit="bytes",
                    width=8,
                ),
                Panel(
                    "Fragmentation ratio",
                    "RSS over allocated memory; far above 1.5 wastes memory, below 1 means "
                    "swapping.",
                    (Query(f"redis_mem_fragmentation_ratio{{{REDIS}}}", "{{instance}}"),),
                    width=8,
                ),
                Panel(
                    "Keys",
                    "Keys per database.",
                    (
                        Query(
                            f"sum by (instance, db) (redis_db_keys{{{REDIS}}})",
                            "{{instance}} {{db}}",
                        ),
                    ),
                    width=8,
                ),
                Panel(
                    "Evicted and expired keys",
                    "Keys removed per second: evicted for memory (lost data for kvapi) or "
                    "expired by TTL.",
                    (
                        redis_rate("redis_evicted_keys_total", "evicted {{instance}}"),
                        redis_rate("redis_expired_keys_total", "expired {{instance}}"),
                    ),
                    unit="ops",
                    width=24,
                ),
            ),
        ),
        Row(
            "Clients",
            (
                Panel(
                    "Connected and blocked clients",
                    "Client connections open on Redis.",
                    (
                        Query(f"redis_connected_clients{{{REDIS}}}", "connected {{instance}}"),
                        Query(f"redis_blocked_clients{{{REDIS}}}", "blocked {{instance}}"),
                    ),
                    width=8,
                ),
                Panel(
                    "Rejected connections",
                    "Connections refused per second because maxclients was reached.",
                    (redis_rate("redis_rejected_connections_total"),),
                    unit="ops",
                    width=8,
                ),
                Panel(
                    "kvapi connection pools",
                    "Connections in the service's Redis pools, in use and idle, all workers.",
                    (
                        Query(
                            f"sum by (state) (kvapi_redis_pool_connections{{{KVAPI}}})", "{{state}}"
                        ),
                    ),
                    width=8,
                ),
            ),
        ),
        Row(
            "Replication",
            (
                Panel(
                    "Replicas connected",
                    "Replicas attached to the primary (0 for a standalone Redis). The "
                    "RedisReplicationLinkDown alert compares it with its maximum of the last hour.",
                    (Query(f"redis_connected_slaves{{{REDIS}}}", "{{instance}}"),),
                    kind="stat",
                    width=6,
                ),
                Panel(
                    "Role",
                    "1 for the role each instance has now (master or slave); RedisNoPrimary "
                    "pages when none is master.",
                    (
                        Query(
                            f"redis_instance_info{{{REDIS}}}", "{{instance}} {{role}}", instant=True
                        ),
                    ),
                    kind="stat",
                    width=6,
                ),
                Panel(
                    "Replica lag",
                    "Seconds since each replica last acknowledged the replication stream "
                    "(replicas acknowledge every second).",
                    (Query(f"redis_connected_slave_lag_seconds{{{REDIS}}}", "{{slave_ip}}"),),
                    unit="s",
                    width=6,
                    no_data_here=NEEDS_REPLICA,
                ),
                Panel(
                    "Replica offset behind the primary",
                    "Bytes of the replication stream each replica has not acknowledged yet: "
                    "writes a failover would lose now.",
                    (
                        Query(
                            f"redis_master_repl_offset{{{REDIS}}} - ignoring "
                            "(slave_ip, slave_port, slave_state) group_right "
                            f"redis_connected_slave_offset_bytes{{{REDIS}}}",
                            "{{slave_ip}}:{{slave_port}}",
                        ),
                    ),
                    unit="bytes",
                    width=6,
                    no_data_here=NEEDS_REPLICA,
                ),
            ),
        ),
    ),
)
