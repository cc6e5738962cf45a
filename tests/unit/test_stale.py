"""Which Redis errors mean "this connection is stale", as redis-py's own parser raises them."""

import pytest
from redis._parsers.base import BaseParser
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from kvapi.stale import stale_reason


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("READONLY You can't write against a read only replica.", "readonly"),
        ("LOADING Redis is loading the dataset in memory", "loading"),
        (
            "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
            "masterdown",
        ),
        ("TRYAGAIN Multiple keys request during rehashing of slot", "tryagain"),
        ("ERR max number of clients reached", "connection"),
        ("WRONGPASS invalid username-password pair or user is disabled.", None),
        ("NOAUTH Authentication required.", None),
        ("OOM command not allowed when used memory > 'maxmemory'.", None),
        ("ERR unknown command 'FOO'", None),
    ],
)
def test_error_replies(reply: str, reason: str | None) -> None:
    assert stale_reason(BaseParser.parse_error(reply)) == reason


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (RedisConnectionError("Connection closed by server."), "connection"),
        (ConnectionResetError(104, "Connection reset by peer"), "connection"),
        (RedisTimeoutError("Timeout reading from socket"), None),  # slow, not stale
        (TimeoutError(), None),
    ],
)
def test_connection_errors(error: BaseException, reason: str | None) -> None:
    assert stale_reason(error) == reason
