"""/v1/keys: the key-value API with TTLs, deletes and SCAN-based listing."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response, status
from fastapi.exceptions import RequestValidationError

from kvapi.api.deps import SettingsDep, StoreDep, Writer, check_value_size
from kvapi.api.schemas import (
    ERRORS,
    WRITE_ERRORS,
    EntryBody,
    ErrorBody,
    Key,
    KeyPage,
    PutBody,
    PutResult,
    Responses,
)
from kvapi.cluster_scan import InvalidCursor

router = APIRouter(prefix="/v1/keys", tags=["keys"])

NOT_FOUND: Responses = {404: {"model": ErrorBody, "description": "no such key"}}


def not_found() -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, "Key not found")


@router.get("", summary="List keys by prefix, one SCAN page at a time", responses=ERRORS)
async def list_keys(
    store: StoreDep,
    prefix: Annotated[str, Query(max_length=512)] = "",
    cursor: Annotated[
        str | None,
        Query(
            pattern=r"^[A-Za-z0-9_-]{1,512}$",
            description="next_cursor of the previous page, opaque (a cluster's names a node)",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> KeyPage:
    try:
        page = await store.scan(prefix, cursor, limit)
    except InvalidCursor as error:
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("query", "cursor"), "msg": str(error)}]
        ) from None
    return KeyPage(keys=page.keys, next_cursor=page.cursor)


@router.get("/{key}", summary="Read a key", responses={**ERRORS, **NOT_FOUND})
async def get_key(key: Key, store: StoreDep) -> EntryBody:
    entry = await store.get(key)
    if entry is None:
        raise not_found()
    return EntryBody(key=key, value=entry.value, ttl_seconds=entry.ttl_seconds)


@router.put(
    "/{key}",
    summary="Create (201) or replace (200) a key",
    dependencies=[Writer],
    responses={**WRITE_ERRORS, 201: {"model": PutResult, "description": "created"}},
)
async def put_key(
    key: Key, body: PutBody, response: Response, store: StoreDep, settings: SettingsDep
) -> PutResult:
    check_value_size(body.value, settings)
    created = await store.put(key, body.value, body.ttl_seconds)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return PutResult(key=key, created=created)


@router.delete(
    "/{key}",
    summary="Delete a key",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[Writer],
    responses={**WRITE_ERRORS, **NOT_FOUND},
)
async def delete_key(key: Key, store: StoreDep) -> None:
    if not await store.delete(key):
        raise not_found()
