"""Who is calling: the identity that active-client statistics (and rate limits) count."""

import functools
import hashlib

from starlette.types import Scope

from kvapi.auth import verified_token


@functools.lru_cache(maxsize=64)  # only configured tokens get here: a handful
def token_identity(token: str) -> str:
    """A stable, non-reversible name for a token, safe to store and count."""
    return "token:" + hashlib.sha256(token.encode()).hexdigest()[:16]


IDENTITY_KEY = "kvapi.client_identity"  # kept in the scope: statistics and rate limits both ask


def client_identity(scope: Scope, write_tokens: tuple[str, ...]) -> str:
    """The token identity when the request carries a configured token, else the client IP."""
    identity: str | None = scope.get(IDENTITY_KEY)
    if identity is None:
        token = verified_token(scope, write_tokens)
        if token is not None:
            identity = token_identity(token)
        else:
            client = scope.get("client")
            identity = "ip:" + (client[0] if client else "unknown")
        scope[IDENTITY_KEY] = identity
    return identity
