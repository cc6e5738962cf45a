"""CPU seconds used by a process tree, from /proc: the load-independent cost of a request.

Throughput on a shared 2-core machine moves with whatever else runs; the server's CPU time per
request moves much less, so the bench reports both.
"""

import os
from pathlib import Path

TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def tree(pid: int) -> list[int]:
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                pending += [int(child) for child in (task / "children").read_text().split()]
            except OSError:
                continue  # the thread or process ended meanwhile
    return found


def cpu_seconds(pid: int) -> float:
    """User + system time of pid and every live descendant."""
    ticks = 0
    for member in tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return ticks / TICKS_PER_S
