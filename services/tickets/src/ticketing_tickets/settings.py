"""The tickets service's settings: one BaseSettings, read from TICKETING_* environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Accepted only in dev mode (`make run`); production refuses to start with it.
DEV_JWT_SECRET = "dev-only-ticketing-secret-not-for-production"  # noqa: S105 - documented dev default


class TicketsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TICKETING_", extra="ignore")

    mode: Literal["dev", "production"] = "dev"
    data_dir: Path = Path("var")
    #: `sqlite:///abs/or/relative/path.db`, `memory://`; empty = `<data_dir>/events.db`.
    event_store_url: str = ""
    sqlite_synchronous: Literal["FULL", "EXTRA", "NORMAL"] = "FULL"
    jwt_secret: SecretStr | None = None
    jwt_jwks_url: str | None = None
    jwt_audience: str | None = None
    jwt_issuer: str | None = None
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    brands_file: Path | None = None
    idempotency_ttl_hours: float = Field(default=24.0, ge=24.0)
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _secrets_fit_the_mode(self) -> TicketsSettings:
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

    def resolved_event_store_url(self) -> str:
        return self.event_store_url or f"sqlite:///{self.data_dir / 'events.db'}"
