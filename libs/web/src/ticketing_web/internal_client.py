"""The client side of an internal call (the distributed mode): JSON in, JSON out, over httpx.

One connection pool per process and target; a connect error is retried once (nothing was sent,
so any call may be retried); every failure — unreachable, too slow, refused, an unreadable
answer — becomes `InternalCallFailed`, which each caller turns into its port's "unavailable"
error, so the end user gets a 503 problem, never a 500.
"""

from __future__ import annotations

from typing import TypeVar

import httpx
import structlog
from pydantic import BaseModel, ValidationError

from .internal import AttachmentsClientSettings
from .observability import CORRELATION_HEADER

T = TypeVar("T", bound=BaseModel)
_log = structlog.get_logger("ticketing.internal")


class InternalCallFailed(Exception):
    """The other service did not give a usable answer; the message says why (no secrets)."""


class InternalClient:
    """POSTs pydantic models to one service's internal API with the internal token."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        service: str,
        timeout_seconds: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._service = service
        self._client = httpx.AsyncClient(
            base_url=base_url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=httpx.Timeout(timeout_seconds, connect=min(timeout_seconds, 2.0)),
            transport=transport or httpx.AsyncHTTPTransport(retries=1),
            follow_redirects=False,
        )

    async def call(self, path: str, body: BaseModel, answer: type[T]) -> T:
        """POST `body` to `path`; the 200 answer parsed as `answer`, else InternalCallFailed."""
        headers = {"Content-Type": "application/json"}
        correlation_id = structlog.contextvars.get_contextvars().get("correlation_id")
        if isinstance(correlation_id, str):  # one id across the services' logs
            headers[CORRELATION_HEADER] = correlation_id
        try:
            response = await self._client.post(
                path, content=body.model_dump_json(), headers=headers
            )
        except httpx.TransportError as error:  # refused, reset, timed out
            raise self._failed(f"is unreachable ({type(error).__name__})") from error
        if response.status_code in (401, 403):
            raise self._failed(
                f"refused the internal token ({response.status_code}): "
                "TICKETING_INTERNAL_TOKEN differs between the services"
            )
        if response.status_code != 200:
            raise self._failed(f"answered {response.status_code}")
        try:
            return answer.model_validate_json(response.content)
        except ValidationError as error:
            raise self._failed("answered something that does not fit the contract") from error

    def _failed(self, why: str) -> InternalCallFailed:
        _log.warning("internal_call_failed", service=self._service, reason=why)
        return InternalCallFailed(f"the {self._service} service {why}")

    async def aclose(self) -> None:
        await self._client.aclose()


def attachments_client(settings: AttachmentsClientSettings) -> InternalClient:
    """The client of the attachments service's internal API (TICKETING_ATTACHMENTS_URL), for
    every service that asks it things (tickets, query)."""
    assert settings.internal_token is not None  # the settings refuse a URL without a token
    return InternalClient(
        settings.attachments_url,
        settings.internal_token.get_secret_value(),
        service="attachments",
        timeout_seconds=settings.attachments_timeout_seconds,
    )
