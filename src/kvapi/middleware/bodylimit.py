"""Request bodies: refused when too large before any byte is read, and read against a deadline.

A declared Content-Length over the limit gets a 413 before the app runs. A streamed (chunked)
body is counted as the app reads it and stopped with a 413 at the first byte over the limit.
A body that trickles in more slowly than the deadline allows gets a 408, so a slow client
cannot hold a connection and its request task open. Both close the connection: the rest of
the body is never read.
"""

import asyncio

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kvapi.middleware.http import header, refusal

CLOSE = {"Connection": "close"}


def body_framing(scope: Scope) -> tuple[int | None, bool]:
    """(declared Content-Length, whether a Transfer-Encoding is sent)."""
    declared = header(scope, b"content-length")
    # The HTTP server has already refused a malformed length (uvicorn answers 400 for one).
    length = int(declared) if declared is not None and declared.isdigit() else None
    return length, header(scope, b"transfer-encoding") is not None


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int, timeout_s: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s
        self.too_large = f"Request body larger than {max_bytes} bytes"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length, encoded = body_framing(scope)
        if length is not None and length > self.max_bytes:
            await refusal(413, self.too_large, CLOSE)(scope, receive, send)
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
                    # the app is reading: its exception handler answers the same body
                    raise HTTPException(413, self.too_large, CLOSE)
            return message

        await self.app(scope, receive_within_limits, send)
