"""Panel sessions: bounded, ended at the token's exp, and one write per form key."""

from __future__ import annotations

import asyncio

import pytest
from ticketing_panel.sessions import SESSIONS_PER_PERSON, SessionStore
from ticketing_web.auth import Identity

NOW = 1_800_000_000.0


def _identity(exp: float = NOW + 600) -> Identity:
    return Identity(sub="c-sara", role="customer", brand="acme", exp=int(exp))


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def test_a_session_is_found_until_the_tokens_exp_and_never_after() -> None:
    clock = Clock()
    store = SessionStore(capacity=10, clock=clock)
    session = store.open(token="t", identity=_identity(NOW + 60))
    assert store.get(session.session_id) is session
    assert store.seconds_left(session) == 60
    clock.now = NOW + 59.9
    assert store.get(session.session_id) is session
    clock.now = NOW + 60
    assert store.get(session.session_id) is None
    assert len(store) == 0


def test_ids_and_csrf_tokens_are_long_random_and_distinct() -> None:
    store = SessionStore(capacity=100, clock=Clock())
    sessions = [store.open(token="t", identity=_identity()) for _ in range(50)]
    values = {s.session_id for s in sessions} | {s.csrf_token for s in sessions}
    assert len(values) == 100
    assert all(len(v) >= 40 for v in values)


def test_the_store_is_bounded_the_oldest_sign_in_going_first() -> None:
    store = SessionStore(capacity=3, clock=Clock())
    first, *rest = [store.open(token=f"t{i}", identity=_identity()) for i in range(4)]
    assert len(store) == 3
    assert store.get(first.session_id) is None
    assert all(store.get(s.session_id) is s for s in rest)


def test_expired_sessions_make_room_before_live_ones_are_dropped() -> None:
    clock = Clock()
    store = SessionStore(capacity=2, clock=clock)
    live = store.open(token="a", identity=_identity(NOW + 600))
    store.open(token="b", identity=_identity(NOW + 10))
    clock.now = NOW + 20
    store.open(token="c", identity=_identity(NOW + 600))
    assert store.get(live.session_id) is live


@pytest.mark.parametrize("session_id", [None, "", "unknown"])
def test_an_unknown_cookie_is_no_session(session_id: str | None) -> None:
    assert SessionStore(capacity=1, clock=Clock()).get(session_id) is None


async def test_one_form_key_runs_once_even_when_sent_together() -> None:
    session = SessionStore(capacity=1, clock=Clock()).open(token="t", identity=_identity())
    runs = 0

    async def act() -> str:
        nonlocal runs
        runs += 1
        await asyncio.sleep(0.01)
        return "/panel/tickets/x/created"

    answers = await asyncio.gather(*(session.once("key-1", act) for _ in range(5)))
    assert answers == ["/panel/tickets/x/created"] * 5
    assert await session.once("key-1", act) == "/panel/tickets/x/created"
    assert runs == 1


async def test_a_failed_form_is_not_remembered_so_it_can_be_sent_again() -> None:
    session = SessionStore(capacity=1, clock=Clock()).open(token="t", identity=_identity())
    attempts = 0

    async def flaky() -> str:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise RuntimeError("the API was down")
        return "/panel/tickets"

    with pytest.raises(RuntimeError):
        await session.once("key-2", flaky)
    assert await session.once("key-2", flaky) == "/panel/tickets"


def test_the_highest_position_seen_is_kept() -> None:
    session = SessionStore(capacity=1, clock=Clock()).open(token="t", identity=_identity())
    for position in (5, 3, None, 9, 7):
        session.saw(position)
    assert session.position == 9


def test_one_person_signing_in_again_and_again_never_pushes_anyone_else_out() -> None:
    store = SessionStore(capacity=20, clock=Clock())
    others = [
        store.open(
            token="t",
            identity=Identity(sub=f"a-{i}", role="agent", brand="acme", exp=int(NOW + 600)),
        )
        for i in range(5)
    ]
    for _ in range(100):
        last = store.open(token="t", identity=_identity())
    assert all(store.get(s.session_id) is s for s in others)
    assert store.get(last.session_id) is last
    assert len(store) == 5 + SESSIONS_PER_PERSON
