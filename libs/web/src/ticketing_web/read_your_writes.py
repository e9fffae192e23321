"""`X-Min-Position` (API.md, read-your-writes) as one FastAPI dependency for any service.

A write answers with the global position of its last event; a read carrying that position waits
(at most a few seconds) until what serves it has applied the position, else 503 `Retry-After: 1`.
What "applied" means is the service's: the query side asks its projector, the attachments and
notifications services their consumers, the command side its event store.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Header, HTTPException, Request

from .auth import CurrentIdentity

#: Whether `position` is applied, waiting up to the service's bound; False if it never came.
Reached = Callable[[Request, int], Awaitable[bool]]

#: ASCII digits only (`\d` would also take Persian and Arabic-Indic ones), blanks around.
_POSITION = re.compile(r"[ \t]*([0-9]+)[ \t]*")
#: Event store positions are signed 64-bit integers (SQLite rowids, KurrentDB commit positions).
MAX_POSITION = 2**63 - 1
_MAX_DIGITS = len(str(MAX_POSITION))
HEADER = "X-Min-Position"


def parse_min_position(value: str) -> int:
    """The header's position; 400 unless it is a non-negative integer up to `MAX_POSITION`."""
    found = _POSITION.fullmatch(value)
    # Leading zeros do not count; the length check also keeps int() off huge digit strings.
    digits = (found.group(1).lstrip("0") or "0") if found else ""
    if not digits or len(digits) > _MAX_DIGITS or int(digits) > MAX_POSITION:
        raise HTTPException(
            400, f"{HEADER} must be a non-negative integer position (at most {MAX_POSITION})."
        )
    return int(digits)


async def require_position(request: Request, value: str | None, reached: Reached) -> None:
    """Read-your-writes for one request: nothing without the header, else wait with `reached`
    (400 for a malformed value, 503 `Retry-After: 1` when the position never came). For routes
    that authenticate their own way (an SSE stream); the others use `min_position`."""
    if value is None:
        return
    position = parse_min_position(value)
    if not await reached(request, position):
        raise HTTPException(
            503, f"Position {position} is not applied here yet.", headers={"Retry-After": "1"}
        )


def min_position(reached: Reached) -> Callable[..., Awaitable[None]]:
    """A router dependency that enforces X-Min-Position with `reached`."""

    async def dependency(
        request: Request,
        identity: CurrentIdentity,  # authenticate first: only callers may hold a request open
        x_min_position: Annotated[
            str | None,
            Header(
                alias=HEADER,
                description="wait (at most 5 s) until this global position is applied, else 503",
            ),
        ] = None,
    ) -> None:
        """Read-your-writes: wait until the position a write returned is applied here."""
        await require_position(request, x_min_position, reached)

    return dependency
