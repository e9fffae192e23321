"""Restarts and Backoff: a background loop is run again after each failure, waiting longer with
each failure in a row, up to a cap, and from the start again once it has recovered."""

from __future__ import annotations

import asyncio

import pytest
from structlog.testing import capture_logs
from ticketing_feed.restarts import Backoff, Restarts


@pytest.mark.parametrize(
    ("failures", "seconds"),
    [(1, 1.0), (2, 2.0), (3, 4.0), (5, 16.0), (6, 30.0), (7, 30.0), (10_000, 30.0)],
    ids=["first", "second", "third", "fifth", "capped", "stays-capped", "no-overflow"],
)
def test_the_wait_doubles_with_each_failure_in_a_row_up_to_the_cap(
    failures: int, seconds: float
) -> None:
    assert Backoff(first=1.0, cap=30.0).delay(failures) == seconds


@pytest.mark.parametrize(
    ("first", "cap", "factor"),
    [(0.0, 30.0, 2.0), (5.0, 1.0, 2.0), (1.0, 30.0, 0.5)],
    ids=["no-wait", "first-above-cap", "shrinking"],
)
def test_a_backoff_that_would_hammer_or_shrink_is_refused(
    first: float, cap: float, factor: float
) -> None:
    with pytest.raises(ValueError, match="backoff"):
        Backoff(first=first, cap=cap, factor=factor)


class Sender:
    """Work that fails as told: a run fails while failures are left, then stops the test."""

    def __init__(self, failures: list[str]) -> None:
        self.failures = failures
        self.runs = 0

    async def run(self) -> None:
        self.runs += 1
        if self.failures:
            raise OSError(self.failures.pop(0))
        raise asyncio.CancelledError  # done: end `forever` as a stop would


async def test_a_failing_loop_runs_again_after_each_failure_and_logs_it() -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    sender = Sender(["صندوق پیامک پاسخ نداد", "دیسک پر است", "دیسک پر است"])
    restarts = Restarts("sender", backoff=Backoff(first=1, cap=3), sleep=sleep, loop="outbox")
    with capture_logs() as logs, pytest.raises(asyncio.CancelledError):
        await restarts.forever(sender.run)
    assert sender.runs == 4
    assert waits == [1, 2, 3]
    assert [entry["event"] for entry in logs] == ["sender_failed"] * 3
    assert {entry["loop"] for entry in logs} == {"outbox"}
    assert restarts.failing


async def test_a_failure_after_a_long_healthy_run_waits_the_first_delay_again() -> None:
    now = [0.0]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    class Slow(Sender):
        async def run(self) -> None:
            now[0] += 100.0 if self.runs == 2 else 0.0  # the third run is healthy for a while
            await super().run()

    sender = Slow(["۱", "۲", "۳", "۴"])
    restarts = Restarts(
        "sender", backoff=Backoff(first=1, cap=30), sleep=sleep, clock=lambda: now[0]
    )
    with capture_logs(), pytest.raises(asyncio.CancelledError):
        await restarts.forever(sender.run)
    assert waits == [1, 2, 1, 2]


async def test_a_success_reported_by_the_work_resets_the_count() -> None:
    restarts = Restarts("consumer")
    restarts.failures = 4
    assert restarts.failing
    restarts.succeeded()
    assert (restarts.failing, restarts.failures) == (False, 0)


async def test_work_that_ends_by_itself_is_run_again_after_the_first_delay_without_a_failure() -> (
    None
):
    waits: list[float] = []
    runs = 0

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    async def finite_feed() -> None:
        nonlocal runs
        runs += 1
        if runs == 3:
            raise asyncio.CancelledError  # the stop

    restarts = Restarts("consumer", backoff=Backoff(first=0.5), sleep=sleep)
    with capture_logs() as logs, pytest.raises(asyncio.CancelledError):
        await restarts.forever(finite_feed)
    assert (runs, waits, logs, restarts.failing) == (3, [0.5, 0.5], [], False)
