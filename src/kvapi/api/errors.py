"""Error answers shared by the FastAPI app and the legacy fast path."""

import json
import logging

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

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


async def http_error(request: Request, error: Exception) -> Response:
    """FastAPI's answer to an HTTPException, but for a JSON body it cannot decode at all.

    A body that is not UTF-8, or nested past Python's recursion limit, makes FastAPI answer
    400 "There was an error parsing the body", which no operation documents; any other
    undecodable JSON is its 422 json_invalid, so these get that same documented 422.
    """
    cause = error.__cause__
    if isinstance(error, HTTPException) and error.status_code == 400:
        if isinstance(cause, UnicodeDecodeError):
            return await invalid_request(request, json_invalid(cause.start, str(cause)))
        if isinstance(cause, RecursionError):
            return await invalid_request(request, json_invalid(0, "JSON nested too deeply"))
    return await http_exception_handler(request, error)  # type: ignore[arg-type]


def json_invalid(position: int, reason: str) -> RequestValidationError:
    """The error FastAPI reports for a body that is not JSON."""
    error = {
        "type": "json_invalid",
        "loc": ("body", position),
        "msg": "JSON decode error",
        "input": {},
        "ctx": {"error": reason},
    }
    return RequestValidationError([error])
