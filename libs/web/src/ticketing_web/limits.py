"""Request body size limit as plain ASGI middleware, enforced while the body streams in.

FastAPI's own `max_body_size` (Starlette's RequestBodyLimitMiddleware) answers a too-large
declared Content-Length with a plain-text 413 before any exception handler runs; every error
here must be problem+json, hence this small middleware.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .problems import problem


class BodySizeLimit:
    """Answers 413 for a body over `max_bytes` (declared or actual); `exempt` path prefixes
    (uploads) enforce their own limits."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, exempt: Sequence[str] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.exempt = tuple(exempt)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (self.exempt and scope["path"].startswith(self.exempt)):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        # Buffer the (small, bounded) body so an oversized one is refused before the app runs.
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(
            413, f"The request body is larger than {self.max_bytes} bytes.", title="Body too large"
        )
        await response(scope, receive, send)
