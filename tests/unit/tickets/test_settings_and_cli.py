"""Settings refuse placeholder secrets outside dev; the token command mints usable tokens."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError
from ticketing_contracts.catalog import BrandCatalogs
from ticketing_tickets.settings import DEV_JWT_SECRET, TicketsSettings
from ticketing_web.auth import TokenVerifier

from ticketing.cli import main


def test_dev_mode_falls_back_to_the_documented_development_secret() -> None:
    settings = TicketsSettings(mode="dev")
    assert settings.jwt_secret is not None
    assert settings.jwt_secret.get_secret_value() == DEV_JWT_SECRET


@pytest.mark.parametrize(
    "overrides",
    [{}, {"jwt_secret": DEV_JWT_SECRET}, {"jwt_secret": "short"}],
    ids=["nothing", "dev-default", "too-short"],
)
def test_production_refuses_missing_default_or_weak_secrets(overrides: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        TicketsSettings(mode="production", **overrides)  # type: ignore[arg-type]


def test_production_accepts_a_real_secret_or_a_jwks_url() -> None:
    TicketsSettings(mode="production", jwt_secret="s" * 40)  # type: ignore[arg-type]
    TicketsSettings(mode="production", jwt_jwks_url="https://id.example.test/jwks.json")


def test_the_idempotency_window_is_at_least_a_day() -> None:
    with pytest.raises(ValidationError):
        TicketsSettings(idempotency_ttl_hours=1)


async def test_the_token_command_mints_a_token_the_service_accepts(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TICKETING_JWT_SECRET", raising=False)
    argv = [
        "token",
        "--role",
        "agent",
        "--sub",
        "agent-1",
        "--brand",
        "acme",
        "--departments",
        "technical,finance",
    ]
    assert main(argv) == 0
    token = capsys.readouterr().out.strip()
    identity = await TokenVerifier(hs256_secret=DEV_JWT_SECRET).verify(token)
    assert (identity.sub, identity.role, identity.brand) == ("agent-1", "agent", "acme")
    assert identity.departments == ("technical", "finance")


def test_a_brands_file_configures_departments_per_brand(tmp_path: Path) -> None:
    path = tmp_path / "brands.json"
    path.write_text(
        json.dumps({"acme": {"departments": {"sales": "فروش"}}}, ensure_ascii=False), "utf-8"
    )
    catalogs = BrandCatalogs.from_file(path)
    assert dict(catalogs.catalog_for("acme").departments) == {"sales": "فروش"}
    assert "general" in catalogs.catalog_for("acme").request_types
    assert "technical" in catalogs.catalog_for("globex").departments
