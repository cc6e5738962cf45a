"""Who a caller is, for statistics and rate limits."""

from kvapi.clients import client_identity, token_identity


def scope(headers: list[tuple[bytes, bytes]], ip: str = "10.0.0.7") -> dict[str, object]:
    return {"type": "http", "headers": headers, "client": (ip, 5000)}


def test_a_configured_token_is_the_identity_and_is_not_revealed() -> None:
    identity = client_identity(scope([(b"authorization", b"Bearer s3cret")]), ("s3cret",))
    assert identity == token_identity("s3cret")
    assert identity.startswith("token:") and "s3cret" not in identity


def test_unknown_tokens_and_anonymous_callers_are_their_ip() -> None:
    assert (
        client_identity(scope([(b"authorization", b"Bearer guess")]), ("s3cret",)) == "ip:10.0.0.7"
    )
    assert client_identity(scope([]), ()) == "ip:10.0.0.7"
    assert client_identity({"type": "http", "headers": []}, ()) == "ip:unknown"


def test_only_a_bearer_scheme_names_a_token() -> None:
    from kvapi.auth import bearer_token

    assert bearer_token(scope([(b"authorization", b"bearer  s3cret ")])) == "s3cret"
    assert bearer_token(scope([(b"authorization", b"Basic s3cret")])) is None
    assert bearer_token(scope([(b"authorization", b"Bearer ")])) is None
    assert bearer_token(scope([])) is None
    assert (
        client_identity(scope([(b"authorization", b"Basic s3cret")]), ("s3cret",)) == "ip:10.0.0.7"
    )


def test_the_identity_is_worked_out_once_per_request() -> None:
    request = scope([(b"authorization", b"Bearer s3cret")])
    first = client_identity(request, ("s3cret",))
    request["headers"] = []  # a second asker (the rate limiter) gets the same answer
    assert client_identity(request, ("s3cret",)) == first == token_identity("s3cret")


def test_the_token_check_is_made_once_per_request_for_every_asker() -> None:
    from kvapi.auth import verified_token

    request = scope([(b"authorization", b"Bearer s3cret")])
    assert verified_token(request, ("s3cret",)) == "s3cret"
    request["headers"] = []  # the write check and the identity reuse the first answer
    assert verified_token(request, ("s3cret",)) == "s3cret"
    assert client_identity(request, ("s3cret",)) == token_identity("s3cret")
    refused = scope([(b"authorization", b"Bearer guess")])
    assert verified_token(refused, ("s3cret",)) is None
    assert verified_token(scope([(b"authorization", b"Bearer s3cret")]), ()) is None
