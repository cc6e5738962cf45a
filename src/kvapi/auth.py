"""Bearer tokens: read from the raw ASGI scope, compared in constant time.

One place for both, so the write check, the client identity and the legacy fast path cannot
disagree about what a token is, and none of them compares a token with `==`. The answer is
kept in the scope: a write passes all three, and each used to parse and compare again.
"""

import hmac

from starlette.types import Scope

from kvapi.middleware.http import header

VERIFIED_KEY = "kvapi.verified_token"


def bearer_token(scope: Scope) -> str | None:
    """The token of the first Authorization header when its scheme is Bearer."""
    authorization = header(scope, b"authorization")
    if authorization is None:
        return None
    scheme, _, token = authorization.decode("latin-1").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


def token_matches(token: str, tokens: tuple[str, ...]) -> bool:
    """Constant-time against every configured token, whichever matches."""
    matched = False
    for candidate in tokens:
        matched |= hmac.compare_digest(token.encode(), candidate.encode())
    return matched


def verified_token(scope: Scope, tokens: tuple[str, ...]) -> str | None:
    """The request's bearer token when it is one of `tokens`, else None; once per request."""
    if VERIFIED_KEY not in scope:
        token = bearer_token(scope) if tokens else None
        scope[VERIFIED_KEY] = token if token and token_matches(token, tokens) else None
    verified: str | None = scope[VERIFIED_KEY]
    return verified
