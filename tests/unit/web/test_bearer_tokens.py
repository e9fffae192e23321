"""Where a token comes from and what its claims may look like: one Authorization header only,
and an `exp` that is a number, not text that looks like one."""

from __future__ import annotations

import time

import jwt
import pytest
from starlette.requests import Request
from ticketing_web.auth import TokenVerifier, Unauthorized, bearer_token

SECRET = "a-test-secret-that-is-long-enough-for-hs256"


def _request(*authorizations: str) -> Request:
    headers = [(b"authorization", value.encode()) for value in authorizations]
    return Request({"type": "http", "method": "GET", "path": "/v1/tickets", "headers": headers})


def test_one_bearer_header_gives_its_token() -> None:
    assert bearer_token(_request("Bearer abc.def.ghi")) == "abc.def.ghi"


@pytest.mark.parametrize(
    "headers",
    [
        ("Bearer first.token.x", "Bearer second.token.y"),
        ("Bearer first.token.x", "Bearer first.token.x"),
        ("Bearer first.token.x", "Basic Y3VzdDphbGk="),
    ],
)
def test_two_authorization_headers_are_refused_not_picked_from(headers: tuple[str, str]) -> None:
    with pytest.raises(Unauthorized, match="more than one"):
        bearer_token(_request(*headers))


@pytest.mark.parametrize("exp", ["9999999999", 9999999999.5, [9999999999], None])
async def test_an_exp_that_is_not_an_integer_is_refused(exp: object) -> None:
    claims = {"sub": "cust-ali", "role": "customer", "brand": "acme", "iat": int(time.time())}
    claims["exp"] = exp
    with pytest.raises(Unauthorized):
        await TokenVerifier(hs256_secret=SECRET).verify(jwt.encode(claims, SECRET))
