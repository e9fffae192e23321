"""Tokens: every forged, expired, ill-typed or oddly-branded token, sent to every kind of route,
is 401 (problem+json, `WWW-Authenticate`) and the answer carries nothing of anyone's data."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from ticketing_tickets.settings import DEV_JWT_SECRET

from .probe import judge, probe, stream_snapshot
from .world import World, bearer, token

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    # HS384/HS512 tokens are minted with the HS256 secret on purpose (they must be refused).
    pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning"),
]
CATEGORY = "tokens"
ATTACKER_RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ATTACKER_EC = ec.generate_private_key(ec.SECP256R1())


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": "cust-ali",
        "role": "customer",
        "brand": "acme",
        "iat": now,
        "exp": now + 600,
    }
    for key, value in changes.items():
        if value is _DROP:
            claims.pop(key, None)
        else:
            claims[key] = value
    return claims


_DROP = object()


def _signed(claims: dict[str, Any] | None = None, **header: Any) -> str:
    return jwt.encode(
        claims or _claims(), DEV_JWT_SECRET, algorithm="HS256", headers=header or None
    )


def _raw(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    """A token put together by hand, as an attacker would, bypassing any library's checks."""
    head = _b64(json.dumps(header).encode())
    body = _b64(json.dumps(claims).encode())
    return f"{head}.{body}.{_b64(signature)}"


def _hmac(header: dict[str, Any], key: bytes) -> str:
    """An HS256 signature under any header and key, the empty key included."""
    head = _b64(json.dumps(header).encode())
    body = _b64(json.dumps(_claims(role="admin")).encode())
    digest = hmac.new(key, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(digest)}"


def _hmac_under(alg: str) -> str:
    """Header says `alg`, signature is HS256 with our secret: the classic confusion attack."""
    return _hmac({"alg": alg, "typ": "JWT"}, DEV_JWT_SECRET.encode())


def _tampered() -> str:
    head, _, signature = _signed().split(".")
    return f"{head}.{_b64(json.dumps(_claims(role='admin')).encode())}.{signature}"


def _with_own_jwk() -> str:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(ATTACKER_RSA.public_key()))
    return jwt.encode(
        _claims(role="admin"), ATTACKER_RSA, algorithm="RS256", headers={"jwk": public}
    )


BAD_TOKENS: dict[str, Callable[[], str]] = {
    "signed with another secret": lambda: jwt.encode(_claims(), "x" * 40, algorithm="HS256"),
    "payload swapped under a valid signature": _tampered,
    "no signature at all": lambda: _signed().rsplit(".", 1)[0] + ".",
    **{
        f"alg {alg}": (lambda alg=alg: _raw({"alg": alg, "typ": "JWT"}, _claims(role="admin")))
        for alg in ("none", "None", "NONE", "nOnE")
    },
    "RS256 header over an HMAC of the secret": lambda: _hmac_under("RS256"),
    "ES256 header over an HMAC of the secret": lambda: _hmac_under("ES256"),
    "PS256 header over an HMAC of the secret": lambda: _hmac_under("PS256"),
    "HS512 with the right secret": lambda: jwt.encode(_claims(), DEV_JWT_SECRET, algorithm="HS512"),
    "HS384 with the right secret": lambda: jwt.encode(_claims(), DEV_JWT_SECRET, algorithm="HS384"),
    "RS256 by the attacker's own key": lambda: jwt.encode(
        _claims(role="admin"), ATTACKER_RSA, algorithm="RS256"
    ),
    "ES256 by the attacker's own key": lambda: jwt.encode(
        _claims(role="admin"), ATTACKER_EC, algorithm="ES256"
    ),
    "the attacker's key embedded as jwk": _with_own_jwk,
    "jku naming the attacker's key set": lambda: jwt.encode(
        _claims(role="admin"),
        ATTACKER_RSA,
        algorithm="RS256",
        headers={"jku": "http://attacker.test/jwks.json", "kid": "k1"},
    ),
    "kid path traversal, empty key": lambda: _hmac(
        {"alg": "HS256", "kid": "../../../../dev/null"}, b""
    ),
    "kid injection, wrong key": lambda: jwt.encode(
        _claims(role="admin"), "y" * 40, algorithm="HS256", headers={"kid": "x' OR '1'='1"}
    ),
    "expired an hour ago": lambda: _signed(_claims(exp=int(time.time()) - 3600)),
    "not valid for an hour (nbf)": lambda: _signed(_claims(nbf=int(time.time()) + 3600)),
    "issued an hour from now (iat)": lambda: _signed(_claims(iat=int(time.time()) + 3600)),
    "no exp": lambda: _signed(_claims(exp=_DROP)),
    "no sub": lambda: _signed(_claims(sub=_DROP)),
    "no role": lambda: _signed(_claims(role=_DROP)),
    "no brand": lambda: _signed(_claims(brand=_DROP)),
    "exp as text": lambda: _signed(_claims(exp="9999999999")),
    "role as a list": lambda: _signed(_claims(role=["admin"])),
    "role unknown": lambda: _signed(_claims(role="superadmin")),
    "role capitalised": lambda: _signed(_claims(role="Admin")),
    "brand as a number": lambda: _signed(_claims(brand=1)),
    "brand as a list": lambda: _signed(_claims(brand=["acme", "globex"])),
    "sub empty": lambda: _signed(_claims(sub="")),
    "sub a number": lambda: _signed(_claims(sub=42)),
    "sub 200 characters": lambda: _signed(_claims(sub="c" * 200)),
    "departments as text": lambda: _signed(
        _claims(role="agent", sub="agent-x", departments="technical")
    ),
    "customers as text": lambda: _signed(
        _claims(role="representative", sub="rep-x", customers="cust-ali")
    ),
    "brand with a trailing newline": lambda: _signed(_claims(brand="acme\n")),
    "brand with a NUL": lambda: _signed(_claims(brand="acme\x00")),
    "brand with a hyphen": lambda: _signed(_claims(brand="a-b")),
    "brand of 65 characters": lambda: _signed(_claims(brand="a" * 65)),
    "brand with Persian digits": lambda: _signed(_claims(brand="acme۱")),
    "brand with Arabic-Indic digits": lambda: _signed(_claims(brand="acme٣")),
    "brand empty": lambda: _signed(_claims(brand="")),
    "brand with a space": lambda: _signed(_claims(brand="acme ")),
    "garbage": lambda: "not-a-token",
    "three empty parts": lambda: "..",
    "8 KiB of dots and letters": lambda: ("a." * 4096)[:8192],
}

ROUTES = [
    ("GET", "/v1/tickets"),
    ("GET", "/v1/tickets/{A}"),
    ("GET", "/v1/tickets/by-tracking-code/{A_code}"),
    ("GET", "/v1/counters"),
    ("POST", "/v1/tickets"),
    ("POST", "/v1/tickets/{A}/messages"),
    ("POST", "/v1/tickets/{A}/close"),
    ("PATCH", "/v1/tickets/{A}"),
    ("GET", "/v1/attachments/{A_upload}"),
    ("POST", "/v1/attachments"),
    ("GET", "/v1/events"),
    ("GET", "/v1/departments"),
    ("GET", "/v1/notifications"),
    ("POST", "/v1/notifications/read-all"),
    ("GET", "/v1/notifications/stream"),
    ("GET", "/v1/notifications/preferences"),
]


def _path(world: World, template: str) -> str:
    a = world.parties["A"]
    return template.format(A=a.ticket_id, A_code=a.tracking_code, A_upload=a.upload_id)


def _body(method: str, path: str) -> dict[str, Any]:
    if path.endswith("/v1/attachments"):
        return {"files": {"file": ("رسید.pdf", b"%PDF-1.7\n%%EOF\n", "application/pdf")}}
    if method == "POST" and path == "/v1/tickets":
        return {
            "json": {"title": "عنوان", "department": "technical", "priority": "low", "body": "."}
        }
    if method in ("POST", "PATCH"):
        return {"json": {"body": "متن", "priority": "low"} if "messages" in path else {}}
    return {}


@pytest.mark.parametrize("name", list(BAD_TOKENS))
async def test_a_bad_token_is_401_on_every_route(world: World, name: str) -> None:
    raw = BAD_TOKENS[name]()
    for method, template in ROUTES:
        path = _path(world, template)
        response = await probe(
            world,
            CATEGORY,
            method,
            path,
            caller=None,
            expect={401},
            headers={"Authorization": f"Bearer {raw}"},
            **_body(method, path),
        )
        assert response.headers["www-authenticate"].startswith("Bearer")
    # The stream's query-string token goes through the same checks.
    await probe(
        world,
        CATEGORY,
        "GET",
        "/v1/notifications/stream",
        caller=None,
        expect={401},
        params={"access_token": raw},
    )


MISSING_OR_MISPLACED: dict[str, dict[str, Any]] = {
    "no Authorization header": {},
    "Basic scheme": {"headers": {"Authorization": "Basic Y3VzdDphbGk="}},
    "Bearer without a token": {"headers": {"Authorization": "Bearer "}},
    "the token without a scheme": {"headers": {"Authorization": "{token}"}},
    "the token as a cookie": {"headers": {"Cookie": "access_token={token}"}},
    "the token in the query string": {"params": {"access_token": "{token}"}},
    "the token in a custom header": {"headers": {"X-Access-Token": "{token}"}},
}


@pytest.mark.parametrize("name", list(MISSING_OR_MISPLACED))
async def test_a_missing_or_misplaced_token_is_401_outside_the_stream(
    world: World, name: str
) -> None:
    good = token("customer", "cust-ali")
    spec = json.loads(json.dumps(MISSING_OR_MISPLACED[name]).replace("{token}", good))
    for method, template in ROUTES:
        if template == "/v1/notifications/stream" and "params" in spec:
            continue  # the one route that accepts it
        path = _path(world, template)
        await probe(
            world,
            CATEGORY,
            method,
            path,
            caller=None,
            expect={401},
            headers=spec.get("headers"),
            params=spec.get("params"),
            **_body(method, path),
        )


async def test_two_authorization_headers_are_refused_whichever_comes_first(world: World) -> None:
    ali, sara = bearer(token("customer", "cust-ali")), bearer(token("customer", "cust-sara"))
    for first, second in ((ali, sara), (sara, ali), (ali, {"Authorization": "Bearer junk"})):
        for method, template in ROUTES:
            path = _path(world, template)
            request = world.client.build_request(
                method,
                path,
                headers=[
                    ("Authorization", first["Authorization"]),
                    ("Authorization", second["Authorization"]),
                ],
                **_body(method, path),
            )
            response = await world.client.send(request)
            judge(
                CATEGORY, response, expect={400, 401}, forbidden=world.forbidden(None)
            ).assert_clean()


@pytest.mark.parametrize("brand", ["ACME", "Acme", "acme_", "globex"])
async def test_a_brand_that_only_looks_like_acme_sees_nothing_of_acme(
    world: World, brand: str
) -> None:
    who = bearer(token("admin", "admin-acme", brand))
    acme = world.parties["A"].markers | world.parties["A_NOTE"].markers | world.parties["B"].markers
    reading = {**who, "X-Min-Position": str(world.position)}
    for path, expect in (
        ("/v1/tickets", 200),
        ("/v1/counters", 200),
        ("/v1/events", 200),
        ("/v1/notifications", 200),
        (f"/v1/tickets/{world.parties['A'].ticket_id}", 404),
        (f"/v1/tickets/by-tracking-code/{world.parties['B'].tracking_code}", 404),
        (f"/v1/attachments/{world.parties['A'].upload_id}", 404),
    ):
        await probe(
            world,
            CATEGORY,
            "GET",
            path,
            caller=None,
            expect={expect},
            headers=reading,
            forbidden=acme,
        )


async def test_a_stream_opened_with_a_token_ends_when_the_token_does(world: World) -> None:
    """Every request refuses a token past `exp` (and the verifier's leeway); a stream opened
    just before must not go on delivering for as long as the connection lasts."""
    a = world.parties["A"]
    expired = int(time.time()) - 28  # still inside the 30 s leeway for about a second
    dying = bearer(jwt.encode(_claims(exp=expired), DEV_JWT_SECRET, algorithm="HS256"))
    streaming = asyncio.create_task(
        stream_snapshot(world, "/v1/notifications/stream", headers=dying, seconds=5)
    )
    await asyncio.sleep(3.5)  # the token is now refused everywhere else
    refused = await world.client.get("/v1/tickets", headers=dying)
    assert refused.status_code == 401
    written = await world.client.post(
        f"/v1/tickets/{a.ticket_id}/messages",
        json={"body": "پاسخ پس از پایان اعتبار توکن"},
        headers=world.who("agent_tech"),
    )
    assert written.status_code == 201, written.text
    world.position = max(world.position, written.json()["position"])
    streamed = await streaming
    judge(CATEGORY, streamed, expect={200}, forbidden=world.forbidden("ali")).assert_clean()
    assert "data:" not in streamed.text
