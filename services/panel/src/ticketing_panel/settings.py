"""The panel's settings: TICKETING_PANEL_* on top of the shared mode and token keys."""

from __future__ import annotations

from pydantic import Field
from ticketing_web.settings import JwtSettings


class PanelSettings(JwtSettings):
    """Mode and token keys come from JwtSettings: the panel verifies sign-in tokens exactly as
    the API does (same keys, same claims)."""

    #: The public API's base URL (the gateway) in the distributed mode; empty = the embedded
    #: process hands the panel its own app to call in-process.
    panel_api_url: str = ""
    #: CSP `frame-ancestors`: who may embed the panel (a brand's own site).
    panel_frame_ancestors: str = "'self'"
    #: Sessions kept at once (in memory); the oldest go first when full.
    panel_max_sessions: int = Field(default=10_000, ge=1)
    #: The largest form a person may post (files included), in bytes.
    panel_max_request_bytes: int = Field(default=60 * 1024 * 1024, ge=1024)
    #: Seconds one API call may take before the person sees the "try again" page.
    panel_api_timeout_seconds: float = Field(default=30.0, gt=0)
    log_level: str = "INFO"

    @property
    def dev(self) -> bool:
        return self.mode == "dev"
