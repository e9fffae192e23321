"""Request body size limit, enforced while the body streams in (used by `edge.ServiceEdge`).

FastAPI's own `max_body_size` (Starlette's RequestBodyLimitMiddleware) answers a too-large
declared Content-Length with a plain-text 413 before any exception handler runs; every error
here must be problem+json, hence these few functions in our own request edge.
"""

from __future__ import annotations

from starlette.types import Message, Receive

from .problems import ProblemResponse, problem


def declared_too_large(content_length: bytes | None, max_bytes: int) -> bool:
    """Whether a Content-Length header already says the body is over `max_bytes`."""
    return (
        content_length is not None
        and content_length.isdigit()
        and (int(content_length) > max_bytes)
    )


async def read_bounded(receive: Receive, max_bytes: int) -> list[Message] | None:
    """The request's messages up to the end of its (small, bounded) body, to be replayed to
    the app; None as soon as the body is over `max_bytes`, before the app runs."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages
        size += len(message.get("body", b""))
        if size > max_bytes:
            return None
        if not message.get("more_body", False):
            return messages


def too_large(max_bytes: int) -> ProblemResponse:
    return problem(
        413, f"The request body is larger than {max_bytes} bytes.", title="Body too large"
    )
