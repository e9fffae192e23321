"""HTTP plumbing every service shares: identity, problem details, limits, logs, metrics."""

from .app import build_app, build_service_app
from .auth import CurrentIdentity, Identity, TokenVerifier, Unauthorized, mint_token
from .problems import PROBLEM_MEDIA_TYPE, problem

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
