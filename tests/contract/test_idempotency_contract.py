"""The IdempotencyStore port: one contract, every adapter (in memory, SQLite on a scratch file).

The HTTP layer (entrypoints/idempotent.py) relies on exactly these answers: Claimed runs the
command, InFlight is a 409, a StoredResponse is replayed (or refused as 422 when its hash differs,
which is why the store returns it whatever hash the new request carries).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from ticketing_tickets.adapters.idempotency_memory import InMemoryIdempotencyStore
from ticketing_tickets.adapters.idempotency_sqlite import SqliteIdempotencyStore
from ticketing_tickets.application.ports import (
    Claimed,
    IdempotencyStore,
    InFlight,
    StoredResponse,
)

LEASE = timedelta(seconds=30)
TTL = timedelta(hours=24)
T0 = datetime(2025, 6, 20, 10, 35, tzinfo=UTC)

KEY = '["acme","cust-1","POST","/v1/tickets","open-1"]'  # the scope as the API makes it
OTHER_KEY = '["acme","cust-1","POST","/v1/tickets","open-2"]'
HASH = "a" * 64
OTHER_HASH = "b" * 64
RESPONSE = StoredResponse(
    HASH,
    201,
    '{"ticket_id":"0f0f","tracking_code":"12345674","title":"پیامک انبوه"}'.encode(),
)

MakeStore = Callable[..., IdempotencyStore]


@dataclass(frozen=True)
class Adapter:
    """How to make a store of one adapter in a scratch directory."""

    make: Callable[[Path, timedelta, timedelta], IdempotencyStore]
    shared_file: bool = False


ADAPTERS = {
    "memory": Adapter(make=lambda _, ttl, lease: InMemoryIdempotencyStore(ttl=ttl, lease=lease)),
    "sqlite": Adapter(
        make=lambda directory, ttl, lease: SqliteIdempotencyStore(
            directory / "idempotency.db", ttl=ttl, lease=lease
        ),
        shared_file=True,
    ),
}


#: For what only a store on a file can do: be shared by processes, outlive its instance.
FILE_BACKED = pytest.mark.parametrize(
    "adapter", [name for name, a in ADAPTERS.items() if a.shared_file], indirect=True
)


@pytest.fixture(params=[pytest.param(name, id=name) for name in ADAPTERS])
def adapter(request: pytest.FixtureRequest) -> Adapter:
    return ADAPTERS[request.param]


@pytest.fixture
async def make_store(adapter: Adapter, tmp_path: Path) -> AsyncIterator[MakeStore]:
    """A factory of stores (each call a new instance on the same scratch directory)."""
    made: list[IdempotencyStore] = []

    def make(*, ttl: timedelta = TTL, lease: timedelta = LEASE) -> IdempotencyStore:
        store = adapter.make(tmp_path, ttl, lease)
        made.append(store)
        return store

    yield make
    for store in made:
        await store.close()


@pytest.fixture
def store(make_store: MakeStore) -> IdempotencyStore:
    return make_store()


async def test_the_first_claim_of_a_key_is_claimed(store: IdempotencyStore) -> None:
    assert await store.claim(KEY, HASH, now=T0) == Claimed()


async def test_a_second_claim_while_the_first_runs_is_in_flight(store: IdempotencyStore) -> None:
    await store.claim(KEY, HASH, now=T0)

    assert await store.claim(KEY, HASH, now=T0 + timedelta(seconds=1)) == InFlight()
    assert await store.claim(KEY, OTHER_HASH, now=T0 + timedelta(seconds=2)) == InFlight()


async def test_a_completed_key_returns_the_stored_response(store: IdempotencyStore) -> None:
    await store.claim(KEY, HASH, now=T0)
    await store.complete(KEY, RESPONSE, now=T0 + timedelta(seconds=1))

    replay = await store.claim(KEY, HASH, now=T0 + timedelta(minutes=5))

    assert replay == RESPONSE
    assert isinstance(replay, StoredResponse)
    assert replay.body.decode() == RESPONSE.body.decode()


async def test_a_completed_key_returns_its_response_to_a_different_body_too(
    store: IdempotencyStore,
) -> None:
    """The store does not judge the hash: the HTTP layer compares it and answers 422."""
    await store.claim(KEY, HASH, now=T0)
    await store.complete(KEY, RESPONSE, now=T0)

    replay = await store.claim(KEY, OTHER_HASH, now=T0 + timedelta(seconds=1))

    assert replay == RESPONSE
    assert isinstance(replay, StoredResponse)
    assert replay.request_hash == HASH


async def test_an_error_response_is_stored_and_replayed_like_a_success(
    store: IdempotencyStore,
) -> None:
    refused = StoredResponse(HASH, 422, b'{"title":"Validation failed","detail":"\xd8\xae"}')
    await store.claim(KEY, HASH, now=T0)
    await store.complete(KEY, refused, now=T0)

    assert await store.claim(KEY, HASH, now=T0 + timedelta(seconds=1)) == refused


async def test_a_released_key_may_be_claimed_again(store: IdempotencyStore) -> None:
    await store.claim(KEY, HASH, now=T0)
    await store.release(KEY)

    assert await store.claim(KEY, OTHER_HASH, now=T0 + timedelta(seconds=1)) == Claimed()
    assert await store.claim(KEY, OTHER_HASH, now=T0 + timedelta(seconds=2)) == InFlight()


async def test_releasing_a_key_never_claimed_is_harmless(store: IdempotencyStore) -> None:
    await store.release(KEY)

    assert await store.claim(KEY, HASH, now=T0) == Claimed()


async def test_release_does_not_forget_a_completed_response(store: IdempotencyStore) -> None:
    """A release only drops a running claim: a late release (the first holder failing after
    its stale claim was taken over and completed) must not let the command run a third time."""
    await store.claim(KEY, HASH, now=T0)
    await store.complete(KEY, RESPONSE, now=T0)
    await store.release(KEY)

    assert await store.claim(KEY, HASH, now=T0 + timedelta(seconds=1)) == RESPONSE


async def test_a_claim_older_than_the_lease_is_taken_over(make_store: MakeStore) -> None:
    store = make_store(lease=timedelta(seconds=5))
    await store.claim(KEY, HASH, now=T0)

    assert await store.claim(KEY, HASH, now=T0 + timedelta(seconds=4)) == InFlight()
    assert await store.claim(KEY, HASH, now=T0 + timedelta(seconds=6)) == Claimed()
    # the take-over is a claim of its own, with a fresh lease
    assert await store.claim(KEY, HASH, now=T0 + timedelta(seconds=9)) == InFlight()


async def test_a_completed_response_is_kept_longer_than_the_lease(make_store: MakeStore) -> None:
    store = make_store(lease=timedelta(seconds=5), ttl=timedelta(hours=1))
    await store.claim(KEY, HASH, now=T0)
    await store.complete(KEY, RESPONSE, now=T0)

    assert await store.claim(KEY, HASH, now=T0 + timedelta(minutes=59)) == RESPONSE


async def test_a_completed_record_older_than_the_ttl_may_be_claimed_again(
    make_store: MakeStore,
) -> None:
    store = make_store(lease=timedelta(seconds=5), ttl=timedelta(hours=1))
    await store.claim(KEY, HASH, now=T0)
    await store.complete(KEY, RESPONSE, now=T0 + timedelta(seconds=1))

    later = T0 + timedelta(hours=1, seconds=2)
    assert await store.claim(KEY, OTHER_HASH, now=later) == Claimed()
    assert await store.claim(KEY, OTHER_HASH, now=later + timedelta(seconds=1)) == InFlight()


async def test_the_ttl_counts_from_completion_not_from_the_claim(make_store: MakeStore) -> None:
    store = make_store(lease=timedelta(minutes=30), ttl=timedelta(hours=1))
    await store.claim(KEY, HASH, now=T0)
    await store.complete(KEY, RESPONSE, now=T0 + timedelta(minutes=20))

    assert await store.claim(KEY, HASH, now=T0 + timedelta(minutes=70)) == RESPONSE


async def test_keys_are_independent(store: IdempotencyStore) -> None:
    await store.claim(KEY, HASH, now=T0)

    assert await store.claim(OTHER_KEY, HASH, now=T0) == Claimed()

    await store.complete(OTHER_KEY, RESPONSE, now=T0)
    assert await store.claim(KEY, HASH, now=T0) == InFlight()
    await store.release(KEY)
    assert await store.claim(OTHER_KEY, HASH, now=T0) == RESPONSE


async def test_twenty_concurrent_claims_of_one_key_claim_it_once(store: IdempotencyStore) -> None:
    outcomes = await asyncio.gather(*(store.claim(KEY, HASH, now=T0) for _ in range(20)))

    assert outcomes.count(Claimed()) == 1
    assert outcomes.count(InFlight()) == 19


@FILE_BACKED
async def test_a_second_store_on_the_same_file_sees_the_first_ones_claim(
    make_store: MakeStore,
) -> None:
    """Two server processes on one data directory: one key still runs once."""
    first, second = make_store(), make_store()
    await first.claim(KEY, HASH, now=T0)

    assert await second.claim(KEY, HASH, now=T0) == InFlight()

    await first.complete(KEY, RESPONSE, now=T0)
    assert await second.claim(KEY, HASH, now=T0) == RESPONSE


@FILE_BACKED
async def test_concurrent_claims_from_two_stores_on_one_file_claim_the_key_once(
    make_store: MakeStore,
) -> None:
    first, second = make_store(), make_store()
    # Both open the file first, one after the other: opening a new file at the same moment
    # has its own test at the end of this module.
    assert await first.claim(OTHER_KEY, HASH, now=T0) == Claimed()
    assert await second.claim(OTHER_KEY, HASH, now=T0) == InFlight()

    outcomes = await asyncio.gather(
        *(store.claim(KEY, HASH, now=T0) for _ in range(10) for store in (first, second))
    )

    assert outcomes.count(Claimed()) == 1
    assert outcomes.count(InFlight()) == 19


@FILE_BACKED
async def test_records_survive_closing_and_reopening_the_store(make_store: MakeStore) -> None:
    store = make_store()
    await store.claim(KEY, HASH, now=T0)
    await store.complete(KEY, RESPONSE, now=T0)
    await store.claim(OTHER_KEY, HASH, now=T0)
    await store.close()

    reopened = make_store()

    assert await reopened.claim(KEY, OTHER_HASH, now=T0 + timedelta(hours=1)) == RESPONSE
    assert await reopened.claim(OTHER_KEY, HASH, now=T0 + timedelta(seconds=1)) == InFlight()


@contextlib.asynccontextmanager
async def write_lock_held_for_a_moment(path: Path) -> AsyncIterator[None]:
    """Another process's write transaction on the file, committed 0.2 s after the body starts."""
    other_process = sqlite3.connect(path, isolation_level=None)
    other_process.execute("BEGIN IMMEDIATE")

    async def commit_after_a_moment() -> None:
        await asyncio.sleep(0.2)
        other_process.execute("COMMIT")

    committing = asyncio.create_task(commit_after_a_moment())
    try:
        yield
    finally:
        await committing
        other_process.close()


@FILE_BACKED
async def test_a_store_opening_a_new_file_waits_while_another_process_holds_its_write_lock(
    make_store: MakeStore, tmp_path: Path
) -> None:
    """As when two server processes receive their first keyed requests at the same moment."""
    async with write_lock_held_for_a_moment(tmp_path / "idempotency.db"):
        assert await make_store().claim(KEY, HASH, now=T0) == Claimed()


@FILE_BACKED
async def test_a_store_opening_an_existing_file_waits_while_another_holds_its_write_lock(
    make_store: MakeStore, tmp_path: Path
) -> None:
    await make_store().claim(OTHER_KEY, HASH, now=T0)  # the file exists, in WAL mode
    async with write_lock_held_for_a_moment(tmp_path / "idempotency.db"):
        assert await make_store().claim(KEY, HASH, now=T0) == Claimed()
