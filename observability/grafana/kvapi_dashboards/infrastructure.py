"""Infrastructure health: host (node_exporter), processes and scrape targets, Kubernetes."""

from .spec import KUBERNETES_ONLY, KVAPI, NODE, RATE, Dashboard, Panel, Query, Row

# Real network interfaces only: loopback and container bridges double-count traffic.
NIC = f'{NODE},device!~"lo|veth.*|docker.*|br-.*|cni.*|flannel.*"'
KVAPI_CONTAINER = 'container="kvapi"'
# Real filesystems only: tmpfs and image layers are not where disks fill up.
DISK = f'{NODE},fstype!~"tmpfs|overlay|squashfs"'

DASHBOARD = Dashboard(
    uid="kvapi-infrastructure",
    title="kvapi / Infrastructure health",
    description="Hosts (node_exporter), processes and scrape targets, and the kvapi pods in "
    "Kubernetes (cAdvisor, kube-state-metrics).",
    rows=(
        Row(
            "Hosts",
            (
                Panel(
                    "CPU busy",
                    "Share of CPU time not idle, per host.",
                    (
                        Query(
                            "1 - avg by (instance) "
                            f'(rate(node_cpu_seconds_total{{{NODE},mode="idle"}}[{RATE}]))',
                            "{{instance}}",
                        ),
                    ),
                    unit="percentunit",
                    width=8,
                ),
                Panel(
                    "Memory used",
                    "Share of memory not available to new processes, per host.",
                    (
                        Query(
                            f"1 - node_memory_MemAvailable_bytes{{{NODE}}} "
                            f"/ node_memory_MemTotal_bytes{{{NODE}}}",
                            "{{instance}}",
                        ),
                    ),
                    unit="percentunit",
                    width=8,
                ),
                Panel(
                    "Load average (1m) per core",
                    "Runnable processes per CPU; above 1 the host is saturated.",
                    (
                        Query(
                            f"node_load1{{{NODE}}} / on (instance) "
                            f'count by (instance) (node_cpu_seconds_total{{{NODE},mode="idle"}})',
                            "{{instance}}",
                        ),
                    ),
                    width=8,
                ),
                Panel(
                    "Network traffic",
                    "Bytes per second received and sent on real interfaces.",
                    (
                        Query(
                            "sum by (instance) "
                            f"(rate(node_network_receive_bytes_total{{{NIC}}}[{RATE}]))",
                            "{{instance}} in",
                        ),
                        Query(
                            "sum by (instance) "
                            f"(rate(node_network_transmit_bytes_total{{{NIC}}}[{RATE}]))",
                            "{{instance}} out",
                        ),
                    ),
                    unit="Bps",
                ),
                Panel(
                    "Disk space used",
                    "Share of each real filesystem in use.",
                    (
                        Query(
                            f"1 - node_filesystem_avail_bytes{{{DISK}}}"
                            f" / node_filesystem_size_bytes{{{DISK}}}",
                            "{{instance}} {{mountpoint}}",
                        ),
                    ),
                    unit="percentunit",
                ),
            ),
        ),
        Row(
            "Processes and targets",
            (
                Panel(
                    "Scrape targets up",
                    "1 when Prometheus reached the target at its last scrape.",
                    (Query("up", "{{job}} {{instance}}"),),
                    width=8,
                ),
                Panel(
                    "kvapi restarts",
                    "Counter resets of the service in the last hour: each one is a process "
                    "restart (kvapi does not export process_* in multiprocess mode).",
                    (
                        Query(
                            f"sum by (instance) (resets(http_requests_total{{{KVAPI}}}[1h]))",
                            "{{instance}}",
                        ),
                    ),
                    width=8,
                ),
                Panel(
                    "Resident memory of the monitoring processes",
                    "process_resident_memory_bytes of Prometheus, Alertmanager and the exporters.",
                    (Query('process_resident_memory_bytes{job!="kvapi"}', "{{job}}"),),
                    unit="bytes",
                    width=8,
                ),
                Panel(
                    "CPU of the monitoring processes",
                    "CPU cores used by Prometheus, Alertmanager and the exporters (process_*).",
                    (
                        Query(
                            f'rate(process_cpu_seconds_total{{job!="kvapi"}}[{RATE}])',
                            "{{job}}",
                        ),
                    ),
                    width=24,
                ),
            ),
        ),
        Row(
            "Kubernetes pods",
            (
                Panel(
                    "Pod CPU",
                    "CPU cores used by each kvapi container (cAdvisor).",
                    (
                        Query(
                            "sum by (pod) (rate(container_cpu_usage_seconds_total"
                            f"{{{KVAPI_CONTAINER}}}[{RATE}]))",
                            "{{pod}}",
                        ),
                    ),
                    no_data_here=KUBERNETES_ONLY,
                    width=8,
                ),
                Panel(
                    "Pod memory working set",
                    "Memory the kernel counts against the container limit (cAdvisor).",
                    (
                        Query(
                            "sum by (pod) "
                            f"(container_memory_working_set_bytes{{{KVAPI_CONTAINER}}})",
                            "{{pod}}",
                        ),
                    ),
                    unit="bytes",
                    no_data_here=KUBERNETES_ONLY,
                    width=8,
                ),
                Panel(
                    "CPU throttling",
                    "Share of CFS periods in which the container hit its CPU limit (cAdvisor).",
                    (
                        Query(
                            "sum by (pod) (rate(container_cpu_cfs_throttled_periods_total"
                            f"{{{KVAPI_CONTAINER}}}[{RATE}])) / sum by (pod) "
                            f"(rate(container_cpu_cfs_periods_total{{{KVAPI_CONTAINER}}}[{RATE}]))",
                            "{{pod}}",
                        ),
                    ),
                    unit="percentunit",
                    no_data_here=KUBERNETES_ONLY,
                    width=8,
                ),
                Panel(
                    "Container restarts (1h)",
                    "Restarts of kvapi containers in the last hour (kube-state-metrics).",
                    (
                        Query(
                            "sum by (pod) (increase(kube_pod_container_status_restarts_total"
                            f"{{{KVAPI_CONTAINER}}}[1h]))",
                            "{{pod}}",
                        ),
                    ),
                    no_data_here=KUBERNETES_ONLY,
                    width=8,
                ),
                Panel(
                    "Ready pods",
                    "kvapi pods passing their readiness probe (kube-state-metrics).",
                    (
                        Query(
                            'sum(kube_pod_status_ready{condition="true",pod=~"kvapi-.*"})',
                            "ready",
                        ),
                    ),
                    kind="stat",
                    no_data_here=KUBERNETES_ONLY,
                    width=8,
                ),
                Panel(
                    "OOM kills",
                    "Containers whose last termination was an out-of-memory kill.",
                    (
                        Query(
                            "sum by (pod) (kube_pod_container_status_last_terminated_reason"
                            f'{{{KVAPI_CONTAINER},reason="OOMKilled"}})',
                            "{{pod}}",
                        ),
                    ),
                    no_data_here=KUBERNETES_ONLY,
                    width=8,
                ),
            ),
        ),
    ),
)
