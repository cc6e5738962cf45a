"""Request bodies: refused when too large before any byte is read, and read against a deadline.

A declared Content-Length over the limit gets a 413 before the app runs. A streamed (chunked)
body is counted as the app reads it and stopped with a 413 at the first byte over the limit.
A body that trickles in more slowly than the deadline allows gets a 408, so a slow client
cannot hold a connection and its request task open. Both close the connection: the rest of
the body is never read.
"""

import asyncio
import contextlib

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kvapi.api.schemas import ErrorBody

CLOSE = {"Connection": "close"}


def body_framing(scope: Scope) -> tuple[int | None, bool]:
    """(declared Content-Length, whether a Transfer-Encoding is sent)."""
    length: int | None = None
    encoded = False
    for name, value in scope["headers"]:
        if name == b"content-length":
            # the HTTP server has already rejected a malformed length
            with contextlib.suppress(ValueError):
                length = int(value)
        elif name == b"transfer-encoding":
            encoded = True
    return length, encoded


def too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"Request body larger than {limit} bytes", headers=CLOSE)


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int, timeout_s: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s
        self.refusal = ErrorBody(detail=f"Request body larger than {max_bytes} bytes")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length, encoded = body_framing(scope)
        if length is not None and length > self.max_bytes:
            await self._refuse(send)
            return
        if not length and not encoded:
            # HTTP/1.1 frames a body only by Content-Length or Transfer-Encoding: without
            # either there is nothing to count or wait for, so most reads skip the wrapper.
            await self.app(scope, receive, send)
            return
        received = 0
        complete = False
        deadline: float | None = None

        async def receive_within_limits() -> Message:
            nonlocal received, complete, deadline
            if complete:
                return await receive()  # only http.disconnect is left to wait for
            loop = asyncio.get_running_loop()
            deadline = deadline or loop.time() + self.timeout_s
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise HTTPException(408, "Request body not received in time", CLOSE) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                complete = not message.get("more_body", False)
                if received > self.max_bytes:
                    raise too_large(self.max_bytes)
            return message

        await self.app(scope, receive_within_limits, send)

    async def _refuse(self, send: Send) -> None:
        body = self.refusal.model_dump_json().encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
