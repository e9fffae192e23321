"""HTTP plumbing every service shares: identity, problem details, limits, logs, metrics.

The names below load with their module on first use (PEP 562), so that a pure helper of this
package (`ticketing_web.jalali`, `ticketing_web.ids`, `ticketing_web.text`) can be imported by an
application layer without loading FastAPI, Starlette or PyJWT.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import build_app, build_service_app
    from .auth import CurrentIdentity, Identity, TokenVerifier, Unauthorized, mint_token
    from .problems import PROBLEM_MEDIA_TYPE, problem

_HOMES = {
    "build_app": "app",
    "build_service_app": "app",
    "CurrentIdentity": "auth",
    "Identity": "auth",
    "TokenVerifier": "auth",
    "Unauthorized": "auth",
    "mint_token": "auth",
    "PROBLEM_MEDIA_TYPE": "problems",
    "problem": "problems",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{home}", __name__), name)


__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "CurrentIdentity",
    "Identity",
    "TokenVerifier",
    "Unauthorized",
    "build_app",
    "build_service_app",
    "mint_token",
    "problem",
]
