"""Error answers shared by the FastAPI app and the legacy fast path."""

import json
import logging

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from kvapi.store import StoreUnavailable

log = logging.getLogger("kvapi")


def unavailable(error: StoreUnavailable) -> JSONResponse:
    log.warning("redis unavailable", extra={"fields": {"reason": error.kind}})
    return JSONResponse(
        {"detail": "Redis unavailable", "reason": error.kind},
        status_code=503,
        headers={"Retry-After": "1"},
    )


async def store_unavailable(request: Request, error: Exception) -> JSONResponse:
    return unavailable(
        error if isinstance(error, StoreUnavailable) else StoreUnavailable("unknown")
    )


async def invalid_request(request: Request, error: Exception) -> Response:
    """FastAPI's 422 body, ASCII-escaped: the echoed input may hold lone surrogates."""
    errors = error.errors() if isinstance(error, RequestValidationError) else []
    body = json.dumps({"detail": jsonable_encoder(errors)}, ensure_ascii=True)
    return Response(body, status_code=422, media_type="application/json")
