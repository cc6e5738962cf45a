"""The real server against slow and oversized clients, and whose X-Forwarded-For it believes.

Raw sockets, because an HTTP client library would not misbehave on purpose.
"""

import contextlib
import socket
import time
from collections.abc import Iterator

import httpx
import pytest
import redis

from testbed.processes import KvapiProcess, kvapi_server

TIMEOUT_S = 1.0
ENV = {
    "KVAPI_HEADER_TIMEOUT_S": str(TIMEOUT_S),
    "KVAPI_BODY_TIMEOUT_S": str(TIMEOUT_S),
    "KVAPI_KEEPALIVE_S": "1",
    "KVAPI_MAX_HEADER_BYTES": "8192",
    "KVAPI_MAX_VALUE_BYTES": "1000",
    "KVAPI_RATE_LIMIT_READS": "5/minute",
}


@pytest.fixture(scope="module")
def served(redis_url: str) -> Iterator[KvapiProcess]:
    with kvapi_server(redis_url, workers=1, env=ENV) as server:
        yield server


def connect(server: KvapiProcess) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.settimeout(TIMEOUT_S * 5)
    return sock


def answer(sock: socket.socket) -> tuple[bytes, float]:
    """Everything the server sends until it closes, and how long that took."""
    started, data = time.monotonic(), b""
    while chunk := sock.recv(65536):
        data += chunk
    return data, time.monotonic() - started


def test_a_silent_connection_is_closed(served: KvapiProcess) -> None:
    data, took = answer(connect(served))
    assert data == b""
    assert TIMEOUT_S * 0.9 < took < TIMEOUT_S * 3


def test_headers_trickling_in_get_408(served: KvapiProcess) -> None:
    sock = connect(served)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: kvapi\r\n")  # and never the blank line
    data, took = answer(sock)
    assert data.startswith(b"HTTP/1.1 408 ")
    assert took < TIMEOUT_S * 3


def test_oversized_headers_get_431(served: KvapiProcess) -> None:
    sock = connect(served)
    # the server may close before it has read everything
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: kvapi\r\nX-Big: " + b"a" * 100_000)
    data, _ = answer(sock)
    assert data.startswith(b"HTTP/1.1 431 ")


def test_body_trickling_in_gets_408(served: KvapiProcess) -> None:
    sock = connect(served)
    head = b"PUT /v1/keys/slow HTTP/1.1\r\nHost: kvapi\r\nContent-Type: application/json\r\n"
    sock.sendall(head + b'Content-Length: 30\r\n\r\n{"value": ')
    data, took = answer(sock)
    assert data.startswith(b"HTTP/1.1 408 ")
    assert b"not received in time" in data
    assert took < TIMEOUT_S * 3


def test_oversized_body_is_refused_before_it_is_sent(served: KvapiProcess) -> None:
    sock = connect(served)
    head = b"PUT /v1/keys/big HTTP/1.1\r\nHost: kvapi\r\nContent-Type: application/json\r\n"
    sock.sendall(head + b"Content-Length: 100000000\r\n\r\n")  # 100 MB announced, none sent
    data, took = answer(sock)
    assert data.startswith(b"HTTP/1.1 413 ")
    assert took < TIMEOUT_S


def test_idle_keep_alive_connection_is_closed(served: KvapiProcess) -> None:
    sock = connect(served)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: kvapi\r\n\r\n")
    data, took = answer(sock)
    assert data.startswith(b"HTTP/1.1 200 ")
    assert took < 3  # keep-alive of 1 s, then closed by the server


def test_no_server_banner_and_security_headers(served: KvapiProcess) -> None:
    response = httpx.get(served.base_url + "/nope")
    assert "server" not in response.headers
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"


def test_forwarded_for_is_ignored_from_untrusted_peers(served: KvapiProcess) -> None:
    """Without KVAPI_TRUSTED_PROXIES, inventing X-Forwarded-For does not buy a fresh budget."""
    statuses = [
        httpx.get(
            served.base_url + "/v1/keys/xff", headers={"X-Forwarded-For": f"10.0.0.{n}"}
        ).status_code
        for n in range(7)
    ]
    assert statuses[-1] == 429, statuses
    lines = [r for r in served.log_records() if r.get("path") == "/v1/keys/xff"]
    assert {r["client_ip"] for r in lines} == {"127.0.0.1"}


def test_forwarded_for_is_believed_from_a_trusted_proxy(
    redis_url: str, redis_client: "redis.Redis[str]"
) -> None:
    """Each forwarded client has its own budget (redis_client empties the database first)."""
    env = {**ENV, "KVAPI_TRUSTED_PROXIES": "127.0.0.1"}
    with kvapi_server(redis_url, workers=1, env=env) as server:
        for client in ("192.0.2.1", "192.0.2.2"):
            statuses = [
                httpx.get(
                    server.base_url + "/v1/keys/xff2", headers={"X-Forwarded-For": client}
                ).status_code
                for _ in range(5)
            ]
            assert statuses == [404] * 5, (client, statuses)  # each has its own 5/minute
        lines = [r for r in server.log_records() if r.get("path") == "/v1/keys/xff2"]
        assert {r["client_ip"] for r in lines} == {"192.0.2.1", "192.0.2.2"}
