"""The original clients' two requests, answered without FastAPI's per-request machinery.

`GET /` and a well-formed `POST /write/{key}?value=` are the hot path of every client of the
original app, and FastAPI's routing, dependency solving and validation cost more CPU than the
rest of the request together (docs/PERFORMANCE.md). This layer answers exactly those requests
with the functions the routes in kvapi.api.legacy use, including check_write, the one list of
what a write must satisfy; anything else (an invalid key, a missing or repeated value, a large
value, a missing or wrong token) goes on to those routes, which stay the reference for every
error and for the OpenAPI schema. tests/integration/test_legacy_fast_path.py sends generated
requests both ways and compares the answers and the stored data.
"""

from urllib.parse import parse_qsl

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from kvapi.api.errors import unavailable
from kvapi.api.legacy import check_write, example_value, written
from kvapi.settings import Settings
from kvapi.store import Store, StoreUnavailable

WRITE_PREFIX = "/write/"


class LegacyFastPath:
    def __init__(self, app: ASGIApp, store: Store, settings: Settings) -> None:
        self.app = app
        self.store = store
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            method, path = scope["method"], scope["path"]
            response: Response | None
            try:
                if method == "GET" and path == "/":
                    response = await example_value(self.store)
                elif method == "POST" and path.startswith(WRITE_PREFIX):
                    write = self.valid_write(scope, path[len(WRITE_PREFIX) :])
                    response = await written(self.store, *write) if write else None
                else:
                    response = None
            except StoreUnavailable as error:
                response = unavailable(error)
            if response is not None:
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def valid_write(self, scope: Scope, key: str) -> tuple[str, str] | None:
        """(key, value) when the route would accept the write as it is, else None."""
        # Query parsing as Starlette's QueryParams does it, so the value is the same string.
        query = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        values = [value for name, value in query if name == "value"]
        if "/" in key or len(values) != 1:
            return None  # no route matches, or FastAPI picks one value: the routes answer
        try:
            check_write(scope, key, values[0], self.settings)
        except (HTTPException, ValueError):
            return None
        return key, values[0]
