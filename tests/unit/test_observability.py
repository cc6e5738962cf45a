"""Per-process ids of the telemetry: request ids and the pid of log lines, across forks."""

import multiprocessing
import os
import re

from kvapi.middleware.telemetry import new_request_id
from kvapi.observability.logging import current_pid


def in_forked_child(function):  # type: ignore[no-untyped-def]
    """What function() returns in a child forked now, as gunicorn forks its workers."""
    context = multiprocessing.get_context("fork")
    with context.Pool(1) as pool:
        return pool.apply(function)


def test_request_ids_are_32_hex_digits_and_distinct() -> None:
    ids = {new_request_id() for _ in range(10_000)}
    assert len(ids) == 10_000
    assert all(re.fullmatch(r"[0-9a-f]{32}", request_id) for request_id in ids)


def test_forked_workers_draw_different_request_ids() -> None:
    # Without a reseed after fork, parent and child would continue the same random sequence.
    assert in_forked_child(new_request_id) != new_request_id()


def test_pid_of_log_lines_is_the_childs_after_a_fork() -> None:
    assert current_pid() == os.getpid()  # cached in the parent first
    child_pid, child_says = in_forked_child(pid_pair)
    assert child_says == child_pid != os.getpid()


def pid_pair() -> tuple[int, int]:
    return os.getpid(), current_pid()
