"""Calls between services (the distributed mode): the shared secret that guards internal
endpoints, and the settings of a service that calls the attachments service over HTTP.

Internal endpoints are not part of the public API: the gateway never routes to them, they are
left out of the OpenAPI document, and they accept only `Authorization: Bearer
<TICKETING_INTERNAL_TOKEN>` (compared in constant time), never an end user's token.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from fastapi import HTTPException, Request
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_MIN_PRODUCTION_TOKEN = 32


class InternalTokenSettings(BaseSettings):
    """TICKETING_INTERNAL_TOKEN: the secret both ends of an internal call know."""

    model_config = SettingsConfigDict(env_prefix="TICKETING_", extra="ignore")

    internal_token: SecretStr | None = None

    @model_validator(mode="after")
    def _token_fits_the_mode(self) -> InternalTokenSettings:
        token = self.internal_token.get_secret_value() if self.internal_token else ""
        if self.internal_token is not None and not token.strip():
            raise ValueError("TICKETING_INTERNAL_TOKEN is empty; unset it or give a real secret")
        # `mode` comes from JwtSettings, which every service's settings also inherit.
        if getattr(self, "mode", "dev") == "production" and 0 < len(token) < _MIN_PRODUCTION_TOKEN:
            raise ValueError(
                f"TICKETING_INTERNAL_TOKEN must be at least {_MIN_PRODUCTION_TOKEN} characters "
                "in production"
            )
        return self


class AttachmentsClientSettings(InternalTokenSettings):
    """Where the attachments service is, for a service that asks it things over HTTP."""

    #: e.g. `http://127.0.0.1:8003`; empty = in-process (the embedded mode wires it).
    attachments_url: str = ""
    #: How long one internal call may take before the end user gets a 503.
    attachments_timeout_seconds: float = Field(default=5.0, gt=0, le=60)

    @model_validator(mode="after")
    def _url_needs_token(self) -> AttachmentsClientSettings:
        if self.attachments_url and self.internal_token is None:
            raise ValueError("TICKETING_ATTACHMENTS_URL is set but TICKETING_INTERNAL_TOKEN is not")
        return self


def internal_token_guard(token: SecretStr | None) -> Callable[[Request], Awaitable[None]]:
    """A FastAPI dependency admitting only callers that present `token` as a bearer token:
    401 without it or with anything else, 403 when this process has no token configured."""
    expected = token.get_secret_value().encode() if token is not None else None

    async def guard(request: Request) -> None:
        if expected is None:
            raise HTTPException(403, "The internal API is not enabled on this service.")
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected):
            raise HTTPException(
                401,
                "The internal API needs the internal service token.",
                headers={"WWW-Authenticate": 'Bearer realm="internal"'},
            )

    return guard
