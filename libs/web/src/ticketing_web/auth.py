"""Who is calling: a verified JWT turned into an Identity (API.md, Identity, brands and roles)."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Annotated, Any

import jwt
from fastapi import Depends, HTTPException, Request
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    field_validator,
)
from ticketing_contracts.roles import Role

from .text import is_unsafe_text

BRAND_PATTERN = re.compile(r"[A-Za-z0-9_]{1,64}")  # always fullmatch: `$` takes "acme\n"
NAME_MAX = 100
# The bidi embeddings, overrides and isolates: a name is shown beside what its person wrote, and
# these could reorder the text around it (controls and line breaks are refused by ClaimText).
# ZWNJ (U+200C), which Persian names use, is not among them.
_NAME_FORBIDDEN = re.compile(r"[\u202a-\u202e\u2066-\u2069]")

_CACHE_SIZE = 10_000


def _clean_claim(value: str) -> str:
    """Ids and names from a token end up in events, logs and headers: no controls, no line
    breaks, no lone surrogates (JSON can carry `\\ud800`; UTF-8 storage cannot)."""
    if not value or is_unsafe_text(value, multiline=False):
        raise ValueError("must be non-empty text without control characters")
    return value


ClaimText = Annotated[str, AfterValidator(_clean_claim)]


class Identity(BaseModel):
    """The claims the services act on. Unknown extra claims are ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    sub: Annotated[ClaimText, Field(max_length=128)]
    role: Role
    brand: str
    exp: StrictInt  # PyJWT takes "9999999999" as a number; an issuer that sends text is broken
    name: ClaimText | None = None
    departments: tuple[ClaimText, ...] | None = None
    customers: tuple[ClaimText, ...] = ()

    @field_validator("brand")
    @classmethod
    def _brand_has_no_separator(cls, value: str) -> str:
        # Brands name stream prefixes (ticket-{brand}-...): '-' would let one brand's prefix
        # match another's streams.
        if not BRAND_PATTERN.fullmatch(value):
            raise ValueError("brand must be 1-64 letters, digits or underscores")
        return value

    @field_validator("name", mode="before")
    @classmethod
    def _name_is_showable(cls, value: object) -> str | None:
        """The optional `name`: a string, trimmed, at most 100 characters, no control or bidi
        characters; blank counts as absent. Anything else makes the token unacceptable (401),
        like every other bad claim: a name is recorded in the history, so it is never guessed."""
        if value is None:
            return None
        if not isinstance(value, str):
            raise ValueError("name must be a string")
        if is_unsafe_text(value, multiline=False):  # before trimming: "name\n" is refused too
            raise ValueError("name must not contain control characters")
        name = value.strip()
        if len(name) > NAME_MAX:
            raise ValueError(f"name must be at most {NAME_MAX} characters")
        if _NAME_FORBIDDEN.search(name):
            raise ValueError("name must not contain control or bidi characters")
        return name or None


class Unauthorized(HTTPException):
    def __init__(self, detail: str) -> None:
        super().__init__(401, detail, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


class TokenVerifier:
    """Verifies HS256 tokens against a shared secret and/or asymmetric ones against a JWKS URL.

    `alg: none` and every algorithm not configured here are refused by PyJWT's allow-list.
    """

    def __init__(
        self,
        *,
        hs256_secret: str | None = None,
        jwks_url: str | None = None,
        audience: str | None = None,
        issuer: str | None = None,
        leeway_seconds: int = 30,
    ) -> None:
        if not hs256_secret and not jwks_url:
            raise ValueError("configure an HS256 secret or a JWKS URL")
        self._secret = hs256_secret
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True) if jwks_url else None
        self._audience = audience
        self._issuer = issuer
        self._leeway = leeway_seconds
        # Clients send the same token with every request; verifying it costs ~150 µs, a dict
        # lookup nothing. Only tokens that verified are kept, and only until they expire.
        self._verified: dict[str, Identity] = {}

    def usable_until(self, identity: Identity) -> float:
        """The moment a request with this identity's token is refused (its `exp` plus the
        leeway): what stays open on one check (a stream) must end there too."""
        return identity.exp + self._leeway

    async def verify(self, token: str) -> Identity:
        known = self._verified.get(token)
        if known is not None:
            if known.exp + self._leeway > time.time():
                return known
            del self._verified[token]
        identity = await self._verify(token)
        if len(self._verified) >= _CACHE_SIZE:
            self._verified.clear()  # crude but bounded; a burst of new tokens just re-verifies
        self._verified[token] = identity
        return identity

    async def _verify(self, token: str) -> Identity:
        try:
            header = jwt.get_unverified_header(token)
            alg = header.get("alg")
            if alg == "HS256" and self._secret:
                key: Any = self._secret
            elif alg in ("RS256", "ES256", "PS256", "EdDSA") and self._jwks is not None:
                # The JWKS fetch is blocking IO (cached after the first call): off the loop.
                key = (await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)).key
            else:
                raise Unauthorized(f"token algorithm {alg!r} is not accepted")
            claims = jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": ["exp", "sub"], "verify_aud": self._audience is not None},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("token expired") from exc
        except (jwt.PyJWTError, ValueError) as exc:
            raise Unauthorized(f"invalid token: {exc}") from exc
        try:
            return Identity.model_validate(claims)
        except ValidationError as exc:
            fields = ", ".join(".".join(map(str, e["loc"])) or "claims" for e in exc.errors())
            raise Unauthorized(f"token claims are not acceptable: {fields}") from exc


def bearer_token(request: Request) -> str:
    headers = request.headers.getlist("authorization")
    if len(headers) > 1:
        # Which one a proxy, a log or this app reads differs: refuse, never pick one.
        raise Unauthorized("more than one Authorization header")
    header = headers[0] if headers else ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("missing bearer token")
    return token.strip()


async def current_identity(request: Request) -> Identity:
    """FastAPI dependency: the caller's verified identity (401 problem otherwise)."""
    verifier: TokenVerifier = request.app.state.token_verifier
    return await verifier.verify(bearer_token(request))


CurrentIdentity = Annotated[Identity, Depends(current_identity)]


def mint_token(
    *,
    secret: str,
    sub: str,
    role: Role,
    brand: str,
    ttl_seconds: int,
    now: int,
    name: str | None = None,
    departments: list[str] | None = None,
    customers: list[str] | None = None,
) -> str:
    """An HS256 token for development and tests (the `ticketing token` command)."""
    claims = token_claims(
        sub=sub,
        role=role,
        brand=brand,
        ttl_seconds=ttl_seconds,
        now=now,
        name=name,
        departments=departments,
        customers=customers,
    )
    return sign_claims(claims, secret=secret)


def sign_claims(claims: dict[str, Any], *, secret: str) -> str:
    """`claims` as an HS256 token."""
    return jwt.encode(claims, secret, algorithm="HS256")


def token_claims(
    *,
    sub: str,
    role: str,
    brand: str,
    ttl_seconds: int,
    now: int,
    name: str | None = None,
    departments: list[str] | None = None,
    customers: list[str] | None = None,
) -> dict[str, Any]:
    """The claims `mint_token` signs (unchecked: tests mint refused tokens on purpose)."""
    claims: dict[str, Any] = {
        "sub": sub,
        "role": role,
        "brand": brand,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    if name:
        claims["name"] = name
    if departments is not None:
        claims["departments"] = departments
    if customers is not None:
        claims["customers"] = customers
    return claims


def refused_claims(claims: dict[str, Any], *, now: int) -> list[str]:
    """Why the services would refuse a token with `claims` (empty: they accept it), from the
    same model they verify tokens with; for minting tools, which must not hand out a token
    that only fails later."""
    problems: list[str] = []
    try:
        Identity.model_validate(claims)
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(map(str, error["loc"])) or "claims"
            problems.append(f"{where}: {error['msg']}")
    if not isinstance(claims.get("exp"), int) or claims["exp"] <= now:
        problems.append("exp: the token would be expired already")
    return problems
