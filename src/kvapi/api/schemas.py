"""Request and response bodies, and the validation rules for keys and values."""

import unicodedata
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, BaseModel, Field

MAX_KEY_BYTES = 512


def check_key(key: str) -> str:
    if not 1 <= len(key.encode("utf-8", "surrogatepass")) <= MAX_KEY_BYTES:
        raise ValueError(f"key must be 1 to {MAX_KEY_BYTES} bytes of UTF-8")
    if any(unicodedata.category(char) in ("Cc", "Cs") for char in key):
        raise ValueError("key must not contain control characters")
    return key


Key = Annotated[
    str,
    Path(description=f"1 to {MAX_KEY_BYTES} bytes of UTF-8, no control characters, no '/'"),
    AfterValidator(check_key),
]


def check_utf8(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("value must be valid UTF-8 (no lone surrogates)") from None
    return value


Value = Annotated[str, AfterValidator(check_utf8)]


class ErrorBody(BaseModel):
    detail: str


class UnavailableBody(BaseModel):
    detail: str = "Redis unavailable"
    reason: str = Field(description="timeout, connection or response")


class MessageBody(BaseModel):
    message: str


class PutBody(BaseModel):
    value: Value
    # Redis refuses an expiry past its millisecond clock's range; 2^31-1 s (68 years) is far
    # inside it, so a too-large TTL is a 422 rather than a Redis error (a 503).
    ttl_seconds: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="expire after; null keeps it"
    )


class PutResult(BaseModel):
    key: str
    created: bool


class EntryBody(BaseModel):
    key: str
    value: str
    ttl_seconds: int | None = Field(description="seconds left, null when the key never expires")


class KeyPage(BaseModel):
    keys: list[str]
    next_cursor: str | None = Field(description="pass as cursor for the next page; null at the end")


class HealthBody(BaseModel):
    status: str


class LegacyHealthBody(BaseModel):
    status: str
    redis: str


Responses = dict[int | str, dict[str, object]]

BODY_TOO_LARGE = "request body larger than KVAPI_MAX_BODY_BYTES"
# What the body-limit layer answers for any request, whichever operation it is for.
BODY_ERRORS: Responses = {
    408: {"model": ErrorBody, "description": "the request body did not arrive in time"},
    413: {"model": ErrorBody, "description": BODY_TOO_LARGE},
}
# The errors of every key-value operation (the rate-limited ones).
ERRORS: Responses = {
    429: {
        "model": ErrorBody,
        "description": "rate limit exceeded (only when KVAPI_RATE_LIMIT_* is set); "
        "Retry-After says when to retry",
    },
    503: {"model": UnavailableBody, "description": "Redis did not answer within the timeout"},
}
WRITE_ERRORS: Responses = {
    **ERRORS,
    401: {"model": ErrorBody, "description": "write tokens are configured and none was sent"},
    403: {"model": ErrorBody, "description": "the bearer token is not a write token"},
    413: {
        "model": ErrorBody,
        "description": f"value larger than KVAPI_MAX_VALUE_BYTES, or {BODY_TOO_LARGE}",
    },
}
