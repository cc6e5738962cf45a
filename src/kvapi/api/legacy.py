"""The original app's two endpoints, byte-compatible on their success paths."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from kvapi.api.deps import SettingsDep, StoreDep, Writer, check_value_size
from kvapi.api.schemas import ERRORS, WRITE_ERRORS, ErrorBody, Key, MessageBody, Value

EXAMPLE_KEY = "example_key"

router = APIRouter(tags=["legacy"])


@router.get(
    "/",
    summary="Read example_key",
    responses={**ERRORS, 404: {"model": ErrorBody, "description": "example_key is not set"}},
)
async def read_example(store: StoreDep) -> MessageBody:
    value = await store.get_value(EXAMPLE_KEY)
    if value is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Key not found")
    return MessageBody(message=value)


@router.post(
    "/write/{key}",
    summary="Set a key (the original API; the value travels in the query string)",
    dependencies=[Writer],
    responses=WRITE_ERRORS,
)
async def write(
    key: Key, value: Annotated[Value, Query()], store: StoreDep, settings: SettingsDep
) -> MessageBody:
    check_value_size(value, settings)
    await store.put(key, value)
    return MessageBody(message=f"Key '{key}' set to '{value}'")
