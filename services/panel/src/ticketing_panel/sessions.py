"""Server-side sessions: a random id in the cookie, the person's token kept here.

Kept in memory (one panel process): a restart signs everyone out, which the brand's panel
repairs with a new sign-in link. Each session ends at its token's `exp` at the latest, so the
panel never acts with a token the API would refuse, and the store is bounded.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from ticketing_web.auth import Identity

#: Forms answered recently (idempotency key → where the answer pointed), per session.
_REMEMBERED_FORMS = 64
#: Sessions one person (brand, sub) holds at once: their browsers and devices. More sign-ins
#: drop that person's own oldest, so replaying /panel/sso cannot push other people out.
SESSIONS_PER_PERSON = 10


@dataclass
class Session:
    session_id: str
    token: str
    identity: Identity
    csrf_token: str
    #: The highest write position this person caused: later GETs ask the API to have applied
    #: it (X-Min-Position), so every page shows the person's own writes.
    position: int = 0
    _answered: OrderedDict[str, str] = field(default_factory=OrderedDict)
    _running: dict[str, asyncio.Future[str]] = field(default_factory=dict)

    @property
    def expires_at(self) -> int:
        return self.identity.exp

    def saw(self, position: int | None) -> None:
        if position is not None and position > self.position:
            self.position = position

    async def once(self, key: str, action: Callable[[], Awaitable[str]]) -> str:
        """Runs `action` once per form key; a repeat (a double click, a resubmitted form) waits
        for the first and answers where it did. A failed action is not remembered."""
        if key in self._answered:
            return self._answered[key]
        running = self._running.get(key)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._running[key] = future
        try:
            answer = await action()
        except Exception as error:
            future.set_exception(error)
            future.exception()  # retrieved: a repeat that was not waiting is no error
            raise
        except BaseException:
            future.cancel()  # cancelled: a waiting repeat is cancelled too, and may retry
            raise
        finally:
            self._running.pop(key, None)
        future.set_result(answer)
        self._answered[key] = answer
        while len(self._answered) > _REMEMBERED_FORMS:
            self._answered.popitem(last=False)
        return answer


class SessionStore:
    """Sessions by id, in memory, at most `capacity` (the oldest sign-in goes first)."""

    def __init__(self, *, capacity: int, clock: Callable[[], float] = time.time) -> None:
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._capacity = capacity
        self._clock = clock

    def open(self, *, token: str, identity: Identity) -> Session:
        self._drop_expired()
        person = (identity.brand, identity.sub)
        mine = [
            k for k, s in self._sessions.items() if (s.identity.brand, s.identity.sub) == person
        ]
        for oldest in mine[: max(0, len(mine) - SESSIONS_PER_PERSON + 1)]:
            del self._sessions[oldest]
        while len(self._sessions) >= self._capacity:
            self._sessions.popitem(last=False)
        session = Session(
            session_id=secrets.token_urlsafe(32),
            token=token,
            identity=identity,
            csrf_token=secrets.token_urlsafe(32),
        )
        self._sessions[session.session_id] = session
        return session

    def get(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        session = self._sessions.get(session_id)
        if session is None:
            return None
        if self._clock() >= session.expires_at:
            del self._sessions[session_id]
            return None
        return session

    def close(self, session_id: str | None) -> None:
        if session_id:
            self._sessions.pop(session_id, None)

    def seconds_left(self, session: Session) -> int:
        return max(0, int(session.expires_at - self._clock()))

    def __len__(self) -> int:
        return len(self._sessions)

    def _drop_expired(self) -> None:
        now = self._clock()
        for expired in [k for k, s in self._sessions.items() if now >= s.expires_at]:
            del self._sessions[expired]
