"""The guarded httptools protocol in-process (tests/resilience/test_slow_clients.py proves it
inside the real server): header deadline, header size cap, and normal requests untouched."""

import asyncio

import pytest
from starlette.types import Receive, Scope, Send
from uvicorn.config import Config
from uvicorn.server import ServerState

from kvapi.protocol import guarded_protocol
from kvapi.settings import Settings

TIMEOUT_S = 0.3
PROTOCOL = guarded_protocol(Settings(header_timeout_s=TIMEOUT_S, max_header_bytes=2048))


async def hello(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"hello"})


async def exchange(request: bytes) -> bytes:
    """Send `request` to a fresh server on loopback and return all it answers until it closes."""
    config = Config(app=hello, lifespan="off", http=PROTOCOL, log_level="error")
    config.load()
    state = ServerState()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: PROTOCOL(config=config, server_state=state, app_state={}),
        "127.0.0.1",
        0,
    )
    async with server:
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request)
        await writer.drain()
        async with asyncio.timeout(TIMEOUT_S * 10):
            answer = await reader.read()  # until the server closes
        writer.close()
        return answer


@pytest.mark.parametrize(
    ("request_bytes", "expected"),
    [
        (b"", b""),  # silent: closed at the deadline, nothing to answer
        (b"GET / HTTP/1.1\r\nHost: x\r\n", b"HTTP/1.1 408 "),  # headers never finish
        (b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 5000 + b"\r\n", b"HTTP/1.1 431 "),
        (b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", b"HTTP/1.1 200 "),
    ],
    ids=["silent", "slow-headers", "big-headers", "normal"],
)
def test_guards(request_bytes: bytes, expected: bytes) -> None:
    answer = asyncio.run(exchange(request_bytes))
    assert answer.startswith(expected), answer[:80]
    if expected == b"":
        assert answer == b""
