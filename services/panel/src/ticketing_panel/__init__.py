"""The web panel: server-rendered Persian pages over the public API (PANEL.md)."""

from .app import create_panel_app

__all__ = ["create_panel_app"]
