"""Dependencies and checks shared by the routers: the store, write authorization, value size."""

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from starlette.types import Scope

from kvapi.auth import bearer_token, verified_token
from kvapi.settings import Settings
from kvapi.store import Store


# Every dependency here is async: FastAPI runs a plain `def` one in the thread pool, a thread
# hop per dependency per request (docs/PERFORMANCE.md measured the write mix at -26 % CPU, back
# when the legacy routes still solved them; GET / now solves none, and the fast path skips all).
async def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def check_writer(scope: Scope, write_tokens: tuple[str, ...]) -> None:
    """401 without a bearer token, 403 with a wrong one; writes are open when none is set."""
    if not write_tokens or verified_token(scope, write_tokens):
        return
    if bearer_token(scope) is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "Missing bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    raise HTTPException(status.HTTP_403_FORBIDDEN, "Invalid token")


async def require_writer(request: Request) -> None:
    settings: Settings = request.app.state.settings  # not a sub-dependency: one less to solve
    check_writer(request.scope, settings.write_tokens)


def check_value_size(value: str, settings: Settings) -> None:
    if len(value.encode("utf-8")) > settings.max_value_bytes:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"Value larger than {settings.max_value_bytes} bytes",
        )


Writer = Depends(require_writer)
