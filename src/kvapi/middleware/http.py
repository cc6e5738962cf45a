"""What the layers share: one way to read a request header, one way to refuse a request."""

from collections.abc import Mapping

import orjson
from starlette.responses import Response
from starlette.types import Scope


def header(scope: Scope, name: bytes) -> bytes | None:
    """The first value of header `name` (lower case, as ASGI servers hand names over)."""
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def refusal(status: int, detail: str, headers: Mapping[str, str] | None = None) -> Response:
    """The API's error body, {"detail": ...}, as a response the layer awaits itself (as
    starlette's TrustedHostMiddleware does): the routes answer the same body for an
    HTTPException, so a client cannot tell which layer refused."""
    body = orjson.dumps({"detail": detail})
    return Response(body, status, headers, media_type="application/json")
