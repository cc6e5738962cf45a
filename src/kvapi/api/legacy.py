"""The original app's two endpoints, byte-compatible on their success paths.

Well-formed requests to them are answered by the fast path (kvapi.middleware.legacy_fast)
with the functions below; the routes answer the rest, every error included, and keep the
OpenAPI schema. They skip what costs more than it does here: the store and settings are read
from the app (the write token check stays a dependency, so that it answers before parameter
validation does), and the answer is serialized by orjson, which writes the same bytes as the
JSONResponse FastAPI would make from the MessageBody (checked over every code point), without
validating the model against itself first. `response_model` keeps the OpenAPI schema.
"""

from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Request, status
from fastapi.responses import Response
from starlette.types import Scope

from kvapi.api.deps import Writer, check_value_size, check_writer
from kvapi.api.schemas import (
    ERRORS,
    WRITE_ERRORS,
    ErrorBody,
    Key,
    MessageBody,
    Value,
    check_key,
    check_utf8,
)
from kvapi.settings import Settings
from kvapi.store import Store

EXAMPLE_KEY = "example_key"


NOT_FOUND_BODY = orjson.dumps({"detail": "Key not found"})


def message(text: str) -> Response:
    return Response(orjson.dumps({"message": text}), media_type="application/json")


async def example_value(store: Store) -> Response:
    """GET /'s answer, for the route below and the fast path (kvapi.middleware.legacy_fast)."""
    value = await store.get_value(EXAMPLE_KEY)
    if value is None:
        return Response(NOT_FOUND_BODY, status.HTTP_404_NOT_FOUND, media_type="application/json")
    return message(value)


def check_write(scope: Scope, key: str, value: str, settings: Settings) -> None:
    """Every rule POST /write/{key}?value= holds a write to, in the route's order.

    The route and the fast path (kvapi.middleware.legacy_fast) both call it, so neither can
    accept what the other refuses: a new rule goes here, never into the route alone. Raises
    the route's HTTPException (401, 403, 413), or ValueError for a key or value that the
    route's parameters (Key, Value: the same checks) answer with a 422.
    """
    check_writer(scope, settings.write_tokens)
    check_key(key)
    check_utf8(value)
    check_value_size(value, settings)


async def written(store: Store, key: str, value: str) -> Response:
    """POST /write's answer once the input is valid, for the route below and the fast path."""
    await store.put(key, value)
    return message(f"Key '{key}' set to '{value}'")


router = APIRouter(tags=["legacy"])


@router.get(
    "/",
    summary="Read example_key",
    response_model=MessageBody,
    responses={**ERRORS, 404: {"model": ErrorBody, "description": "example_key is not set"}},
)
async def read_example(request: Request) -> Response:
    return await example_value(request.app.state.store)


@router.post(
    "/write/{key}",
    summary="Set a key (the original API; the value travels in the query string)",
    dependencies=[Writer],
    response_model=MessageBody,
    responses=WRITE_ERRORS,
)
async def write(key: Key, value: Annotated[Value, Query()], request: Request) -> Response:
    # Writer (above) and the parameters' validation have answered 401, 403 or 422 already, in
    # FastAPI's order; what is left to refuse is the size. One function all the same.
    check_write(request.scope, key, value, request.app.state.settings)
    return await written(request.app.state.store, key, value)
