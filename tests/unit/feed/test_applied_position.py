"""AppliedPosition: readers of a position wake as soon as a consumer applies it, not before."""

from __future__ import annotations

import asyncio

from ticketing_feed.applied import AppliedPosition


async def test_a_waiter_wakes_when_the_position_is_applied_and_not_before() -> None:
    applied = AppliedPosition()
    waiting = asyncio.create_task(applied.wait_for(7, timeout=5))
    applied.advance(3)
    await asyncio.sleep(0.01)
    assert not waiting.done()
    applied.advance(9)
    assert await asyncio.wait_for(waiting, 1) is True


async def test_an_applied_position_answers_at_once_and_one_never_applied_times_out() -> None:
    applied = AppliedPosition()
    applied.advance(5)
    assert await applied.wait_for(5, timeout=0.001) is True
    assert await applied.wait_for(0, timeout=0.001) is True
    assert await applied.wait_for(6, timeout=0.05) is False


async def test_it_never_moves_back() -> None:
    applied = AppliedPosition()
    applied.advance(10)
    applied.advance(4)
    assert applied.value == 10


async def test_every_waiter_wakes_on_one_advance() -> None:
    applied = AppliedPosition()
    waiters = [asyncio.create_task(applied.wait_for(n, timeout=5)) for n in (1, 2, 3)]
    await asyncio.sleep(0)
    applied.advance(3)
    assert await asyncio.wait_for(asyncio.gather(*waiters), 1) == [True, True, True]
