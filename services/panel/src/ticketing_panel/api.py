"""The public API as the panel calls it: always with the signed-in person's own token.

The panel never opens a store nor imports a service; what a person sees is what the API lets
their token see. Failures become exceptions the pages turn into Persian answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from .sessions import Session

#: A JSON object as the API answers it.
Json = dict[str, Any]


class ApiError(Exception):
    """The API refused or failed: `status` (0: it could not be reached) and its problem body."""

    def __init__(self, status: int, problem: Json | None = None) -> None:
        super().__init__(f"API answered {status}")
        self.status = status
        self.problem = problem or {}

    @property
    def field_errors(self) -> list[tuple[str, str]]:
        found = self.problem.get("errors")
        if not isinstance(found, list):
            return []
        return [
            (str(e.get("field", "")), str(e.get("message", "")))
            for e in found
            if isinstance(e, dict)
        ]

    @property
    def detail(self) -> str:
        return str(self.problem.get("detail") or "")


class Api:
    """One connection pool to the API (the gateway, or the embedded app in-process)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def aclose(self) -> None:
        await self._client.aclose()

    def _headers(self, session: Session, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {session.token}",
            "Accept-Language": "fa",
            **(extra or {}),
        }

    async def get(
        self,
        session: Session,
        path: str,
        *,
        params: Sequence[tuple[str, str]] | None = None,
        fresh: bool = True,
    ) -> Json:
        """GET JSON; `fresh`: only once the API has applied the person's own last write."""
        extra = {"X-Min-Position": str(session.position)} if fresh and session.position else {}
        response = await self._send("GET", path, session, params=params, headers=extra)
        body: Json = response.json()
        return body

    async def write(
        self,
        method: str,
        path: str,
        session: Session,
        *,
        json: Json | None = None,
        idempotency_key: str | None = None,
    ) -> Json:
        """A command; the position it reports is remembered for the next reads."""
        extra = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        response = await self._send(method, path, session, json=json, headers=extra)
        body: Json = response.json() if response.content else {}
        position = body.get("position")
        session.saw(position if isinstance(position, int) else None)
        return body

    async def upload(
        self, session: Session, *, filename: str, data: bytes, content_type: str
    ) -> Json:
        files = {"file": (filename, data, content_type)}
        response = await self._send("POST", "/v1/attachments", session, files=files)
        body: Json = response.json()
        return body

    async def open_stream(
        self, session: Session, path: str, *, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        """A streamed GET (downloads, the notification stream); the caller closes it."""
        request = self._client.build_request(
            "GET",
            path,
            headers=self._headers(session, headers),
            timeout=httpx.Timeout(None, connect=5.0),
        )
        try:
            response = await self._client.send(request, stream=True)
        except httpx.HTTPError as error:
            raise ApiError(0) from error
        if response.status_code >= 400:
            await response.aread()
            await response.aclose()
            raise ApiError(response.status_code, _problem_of(response))
        return response

    async def open_external(self, url: str) -> httpx.Response:
        """A streamed GET of a signed download URL the API redirected to (no token sent)."""
        try:
            request = self._client.build_request("GET", httpx.URL(url))
            response = await self._client.send(request, stream=True)
        except (httpx.HTTPError, ValueError) as error:
            raise ApiError(0) from error
        if response.status_code != 200:
            await response.aclose()
            raise ApiError(502)
        return response

    async def _send(
        self,
        method: str,
        path: str,
        session: Session,
        *,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        try:
            response = await self._client.request(
                method, path, headers=self._headers(session, headers), **kwargs
            )
        except httpx.HTTPError as error:
            raise ApiError(0) from error
        if response.status_code >= 400:
            raise ApiError(response.status_code, _problem_of(response))
        return response


def _problem_of(response: httpx.Response) -> Json:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
