"""Settings every service shares: the run mode and how tokens are verified (TICKETING_JWT_*)."""

from __future__ import annotations

from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .auth import TokenVerifier

#: Accepted only in dev mode (`make run`); production refuses to start with it.
DEV_JWT_SECRET = "dev-only-ticketing-secret-not-for-production"  # noqa: S105 - documented dev default


class JwtSettings(BaseSettings):
    """The base of every service's settings: `mode` and the token keys, checked against it."""

    model_config = SettingsConfigDict(env_prefix="TICKETING_", extra="ignore")

    mode: Literal["dev", "production"] = "dev"
    jwt_secret: SecretStr | None = None
    jwt_jwks_url: str | None = None
    jwt_audience: str | None = None
    jwt_issuer: str | None = None

    @model_validator(mode="after")
    def _secrets_fit_the_mode(self) -> JwtSettings:
        secret = self.jwt_secret.get_secret_value() if self.jwt_secret else None
        if self.mode == "dev":
            if secret is None and self.jwt_jwks_url is None:
                self.jwt_secret = SecretStr(DEV_JWT_SECRET)
            return self
        if secret == DEV_JWT_SECRET:
            raise ValueError("TICKETING_JWT_SECRET is the development default; set a real one")
        if secret is not None and len(secret) < 32:
            raise ValueError("TICKETING_JWT_SECRET must be at least 32 characters in production")
        if secret is None and self.jwt_jwks_url is None:
            raise ValueError("production needs TICKETING_JWT_SECRET or TICKETING_JWT_JWKS_URL")
        return self


def verifier_from(settings: JwtSettings) -> TokenVerifier:
    """The token verifier the settings describe (one per process, shared by its apps)."""
    secret = settings.jwt_secret.get_secret_value() if settings.jwt_secret else None
    return TokenVerifier(
        hs256_secret=secret,
        jwks_url=settings.jwt_jwks_url,
        audience=settings.jwt_audience,
        issuer=settings.jwt_issuer,
    )
