"""uvicorn's httptools protocol with the two guards it lacks: a header deadline and a size cap.

uvicorn (0.54, httptools) arms no timer until a first response is sent and caps no header
size, so a client could open connections and send nothing, or trickle or stream headers
forever (measured: a 2 MB header was accepted, an idle or half-sent request stayed open).
Here every request's headers must arrive within KVAPI_HEADER_TIMEOUT_S (the clock also runs
on a fresh connection) and within KVAPI_MAX_HEADER_BYTES; otherwise the client gets 408 or
431 and the connection is closed. Idle keep-alive connections stay uvicorn's business
(timeout_keep_alive = KVAPI_KEEPALIVE_S). tests/resilience/test_slow_clients.py proves each.

uvicorn has no public API for this: the class extends its internal protocol, so pyproject.toml
pins uvicorn to the minor version this was checked against, and
tests/unit/test_dependency_guards.py fails on an upgrade that changes the hooks used here.
"""

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from kvapi.settings import Settings


def guarded_protocol(settings: Settings) -> type["GuardedHttpToolsProtocol"]:
    """The protocol class with the settings' limits, for uvicorn's Config(http=...): uvicorn
    builds one instance per connection itself, so the limits travel on the class."""
    return type(
        GuardedHttpToolsProtocol.__name__,
        (GuardedHttpToolsProtocol,),
        {
            "header_timeout_s": settings.header_timeout_s,
            "max_header_bytes": settings.max_header_bytes,
        },
    )


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    header_timeout_s: float  # set by guarded_protocol()
    max_header_bytes: int

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None
        self._header_bytes = 0
        self._began = False  # a request line has started arriving

    def _start_header_clock(self) -> None:
        self._header_bytes = 0
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout_s, self._headers_late)

    def _stop_header_clock(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_late(self) -> None:
        self._header_timer = None
        if self._began:
            self._refuse(408, b"Request headers not received in time")
        elif not self.transport.is_closing():
            self.transport.close()  # nothing was asked: nobody to answer

    def _refuse(self, status: int, message: bytes) -> None:
        if self.transport.is_closing():
            return
        self.transport.write(
            b"".join(
                [
                    STATUS_LINE[status],
                    b"content-type: text/plain; charset=utf-8\r\n",
                    b"content-length: %d\r\n" % len(message),
                    b"x-content-type-options: nosniff\r\n",
                    b"connection: close\r\n\r\n",
                    message,
                ]
            )
        )
        self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_header_clock()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_clock()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._header_timer is not None and self._began:
            # The headers are still incomplete, so every byte of this request so far was one.
            self._header_bytes += len(data)
            if self._header_bytes > self.max_header_bytes:
                self._stop_header_clock()
                self._refuse(431, b"Request headers too large")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._began = True
        self._start_header_clock()

    def on_headers_complete(self) -> None:
        self._stop_header_clock()
        self._began = False
        super().on_headers_complete()
