"""The command handlers over the in-memory adapters: what HTTP tests do not reach easily.

Tracking-code collisions, retried commands that reuse their ids, a write from "another process"
landing between load and append, and the shape of every event the handlers store.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime

import pytest
from ticketing_contracts import EVENT_MODELS
from ticketing_contracts.catalog import BrandCatalogs
from ticketing_contracts.envelope import EventEnvelope, parse_data
from ticketing_contracts.stored import envelope_from_stored as public_envelope
from ticketing_contracts.topics import ticket_stream_id
from ticketing_contracts.tracking_code import is_valid_tracking_code
from ticketing_eventstore.memory import InMemoryEventStore
from ticketing_eventstore.ports import AppendResult, NewEvent
from ticketing_tickets.adapters.attachments_unavailable import NoAttachments
from ticketing_tickets.application import handlers as handlers_module
from ticketing_tickets.application.commands import (
    Caller,
    ChangeTicket,
    CloseTicket,
    OpenTicket,
    PostMessage,
    ReadTicket,
    ReopenTicket,
)
from ticketing_tickets.application.handlers import (
    PreconditionFailed,
    TicketHandlers,
    TooMuchContention,
    tracking_stream_id,
)
from ticketing_tickets.bootstrap import random_digits as system_random_digits
from ticketing_tickets.domain import Actor, Role, ValidationFailed

BRAND = "acme"
NOW = datetime(2025, 6, 20, 10, 35, tzinfo=UTC)

CUSTOMER = Caller(BRAND, Actor("cust-1", Role.CUSTOMER), correlation_id="req-مشتری-۱")
OTHER_CUSTOMER = Caller(BRAND, Actor("cust-2", Role.CUSTOMER), correlation_id="req-مشتری-۲")
REP = Caller(
    BRAND,
    Actor("rep-1", Role.REPRESENTATIVE, customers=frozenset({"cust-1"})),
    correlation_id="req-نماینده-۱",
)
AGENT = Caller(
    BRAND,
    Actor("agent-1", Role.AGENT, departments=frozenset({"technical", "finance"})),
    correlation_id="req-کارشناس-۱",
)
REFUNDS_AGENT = Caller(
    BRAND,
    Actor("agent-2", Role.AGENT, departments=frozenset({"refunds"})),
    correlation_id="req-کارشناس-۲",
)
ADMIN = Caller(BRAND, Actor("admin-1", Role.ADMIN), correlation_id="req-مدیر-۱")

NEW_TICKET = OpenTicket(
    title="خطا در ارسال پیامک انبوه",
    department="technical",
    priority="high",
    body="سلام، از دیروز پیامک‌های انبوه ارسال نمی‌شوند. لطفاً بررسی کنید.",
)
REPLY = "پیامک‌ها هنوز در صف ارسال مانده‌اند؛ شماره‌ی سفارش ۴۵۸۲۱ است."


def new_id() -> str:
    return uuid.uuid4().hex


def make_handlers(
    store: InMemoryEventStore, random_digits: Callable[[int], str] = system_random_digits
) -> TicketHandlers:
    return TicketHandlers(
        store=store,
        catalogs=BrandCatalogs(),
        attachments=NoAttachments(),
        clock=lambda: NOW,
        new_id=new_id,
        random_digits=random_digits,
    )


class Digits:
    """A random-digits port that hands out a script first, then fresh digits; it logs requests."""

    def __init__(self, *scripted: str) -> None:
        self._scripted: Iterator[str] = iter(scripted)
        self.lengths: list[int] = []

    def __call__(self, length: int) -> str:
        self.lengths.append(length)
        scripted = next(self._scripted, None)
        return scripted if scripted is not None else system_random_digits(length)


def same_digits(length: int) -> str:
    """Always the same digits for a length: every open collides with all earlier ones."""
    return "".join(str(d) for d in itertools.islice(itertools.cycle(range(1, 10)), length))


@pytest.fixture
def store() -> InMemoryEventStore:
    return InMemoryEventStore()


@pytest.fixture
def handlers(store: InMemoryEventStore) -> TicketHandlers:
    return make_handlers(store)


# -- tracking codes ------------------------------------------------------------------------------


async def test_an_opened_ticket_gets_a_valid_tracking_code_that_never_starts_with_zero(
    handlers: TicketHandlers,
) -> None:
    codes = [(await handlers.open_ticket(CUSTOMER, NEW_TICKET)).tracking_code for _ in range(30)]

    assert all(is_valid_tracking_code(code) for code in codes), codes
    assert not any(code.startswith("0") for code in codes), codes
    assert {len(code) for code in codes} == {8}
    assert len(set(codes)) == len(codes)


async def test_each_opened_ticket_reserves_its_tracking_code_in_a_stream_of_its_own(
    handlers: TicketHandlers, store: InMemoryEventStore
) -> None:
    opened = [await handlers.open_ticket(CUSTOMER, NEW_TICKET) for _ in range(3)]

    for ticket in opened:
        reservation = await store.read_stream(tracking_stream_id(BRAND, ticket.tracking_code))
        assert [r.event_type for r in reservation] == ["TrackingCodeReserved"]
        assert reservation[0].data == {
            "tracking_code": ticket.tracking_code,
            "ticket_id": ticket.ticket_id,
        }
        assert reservation[0].metadata["brand_id"] == BRAND
    reservations = await store.read_all(stream_prefix=f"tracking-{BRAND}-")
    assert len(reservations) == 3


async def test_a_colliding_tracking_code_is_retried_with_fresh_digits(
    store: InMemoryEventStore,
) -> None:
    first = await make_handlers(store, Digits("7654321")).open_ticket(CUSTOMER, NEW_TICKET)
    digits = Digits("7654321", "7654321", "3141592")

    second = await make_handlers(store, digits).open_ticket(CUSTOMER, NEW_TICKET)

    assert first.tracking_code.startswith("7654321")
    assert second.tracking_code.startswith("3141592")
    assert is_valid_tracking_code(second.tracking_code)
    assert digits.lengths == [7, 7, 7]
    owner = await store.read_stream(tracking_stream_id(BRAND, first.tracking_code))
    assert [r.data["ticket_id"] for r in owner] == [first.ticket_id]


async def test_tracking_codes_grow_longer_after_repeated_collisions(
    store: InMemoryEventStore,
) -> None:
    handlers = make_handlers(store, same_digits)

    codes = [(await handlers.open_ticket(CUSTOMER, NEW_TICKET)).tracking_code for _ in range(3)]

    assert [len(code) for code in codes] == [8, 10, 12]
    assert all(is_valid_tracking_code(code) for code in codes)


async def test_running_out_of_tracking_code_attempts_is_too_much_contention(
    store: InMemoryEventStore,
) -> None:
    for _ in range(3):  # every code of 8, 10 and 12 digits this source makes is taken
        await make_handlers(store, same_digits).open_ticket(CUSTOMER, NEW_TICKET)
    digits = Digits(*(same_digits(n) for n in (7,) * 4 + (9,) * 4 + (11,) * 4))
    ticket_id = new_id()

    with pytest.raises(TooMuchContention):
        await make_handlers(store, digits).open_ticket(
            CUSTOMER, OpenTicket(**{**vars_of(NEW_TICKET), "ticket_id": ticket_id})
        )

    assert len(digits.lengths) == handlers_module.TRACKING_CODE_ATTEMPTS
    assert await store.read_stream(ticket_stream_id(BRAND, ticket_id)) == []


async def test_an_invalid_open_reserves_no_tracking_code(
    handlers: TicketHandlers, store: InMemoryEventStore
) -> None:
    with pytest.raises(ValidationFailed):
        await handlers.open_ticket(CUSTOMER, OpenTicket(**{**vars_of(NEW_TICKET), "title": "  "}))

    assert await store.read_all() == []


# -- retries that reuse their ids -----------------------------------------------------------------


async def test_a_retried_open_with_the_same_ticket_id_returns_the_first_result(
    handlers: TicketHandlers, store: InMemoryEventStore
) -> None:
    cmd = OpenTicket(**{**vars_of(NEW_TICKET), "ticket_id": new_id()})
    first = await handlers.open_ticket(CUSTOMER, cmd)

    again = await make_handlers(store).open_ticket(CUSTOMER, cmd)  # e.g. after a restart

    assert again == first
    stream = await store.read_stream(ticket_stream_id(BRAND, first.ticket_id))
    assert [r.event_type for r in stream] == ["TicketOpened"]


async def test_a_retried_open_reserves_no_second_tracking_code(
    handlers: TicketHandlers, store: InMemoryEventStore
) -> None:
    cmd = OpenTicket(**{**vars_of(NEW_TICKET), "ticket_id": new_id()})
    await handlers.open_ticket(CUSTOMER, cmd)

    await handlers.open_ticket(CUSTOMER, cmd)

    assert len(await store.read_all(stream_prefix=f"tracking-{BRAND}-")) == 1


async def test_the_same_ticket_id_opened_by_another_actor_is_refused(
    handlers: TicketHandlers, store: InMemoryEventStore
) -> None:
    cmd = OpenTicket(**{**vars_of(NEW_TICKET), "ticket_id": new_id()})
    first = await handlers.open_ticket(CUSTOMER, cmd)

    with pytest.raises(TooMuchContention):
        await handlers.open_ticket(OTHER_CUSTOMER, cmd)

    stream = await store.read_stream(ticket_stream_id(BRAND, first.ticket_id))
    assert len(stream) == 1
    assert stream[0].data["customer_id"] == "cust-1"


async def test_a_retried_message_with_the_same_message_id_is_posted_once(
    handlers: TicketHandlers, store: InMemoryEventStore
) -> None:
    opened = await handlers.open_ticket(CUSTOMER, NEW_TICKET)
    cmd = PostMessage(ticket_id=opened.ticket_id, body=REPLY, message_id=new_id())
    first = await handlers.post_message(CUSTOMER, cmd)

    again = await handlers.post_message(CUSTOMER, cmd)

    assert (again.message_id, again.version, again.position) == (
        first.message_id,
        first.version,
        first.position,
    )
    stream = await store.read_stream(ticket_stream_id(BRAND, opened.ticket_id))
    assert [r.event_type for r in stream] == ["TicketOpened", "MessagePosted"]


async def test_a_retried_reply_on_a_closed_ticket_neither_reopens_it_nor_posts_twice(
    handlers: TicketHandlers, store: InMemoryEventStore
) -> None:
    opened = await handlers.open_ticket(CUSTOMER, NEW_TICKET)
    await handlers.close_ticket(CUSTOMER, CloseTicket(opened.ticket_id, reason="حل شد"))
    cmd = PostMessage(ticket_id=opened.ticket_id, body=REPLY, message_id=new_id())
    await handlers.post_message(CUSTOMER, cmd)
    await handlers.close_ticket(CUSTOMER, CloseTicket(opened.ticket_id))

    await handlers.post_message(CUSTOMER, cmd)

    stream = await store.read_stream(ticket_stream_id(BRAND, opened.ticket_id))
    assert [r.event_type for r in stream] == [
        "TicketOpened",
        "TicketClosed",
        "TicketReopened",
        "MessagePosted",
        "TicketClosed",
    ]


# -- a write from another process between load and append ---------------------------------------


class RacedStore(InMemoryEventStore):
    """An event store where, just before an append to a ticket stream, "another process" writes
    to that stream first (a fixed number of times): the handler's append then conflicts."""

    def __init__(self, races: int) -> None:
        super().__init__()
        self.races_left = races
        self.competitor = make_handlers(self)  # its own locks: it does not queue behind ours
        self.competing_writes: list[int] = []
        self._racing = False

    async def append(
        self, stream_id: str, events: Sequence[NewEvent], *, expected_version: int | None
    ) -> AppendResult:
        if stream_id.startswith("ticket-") and self.races_left and not self._racing:
            self.races_left -= 1
            self._racing = True
            try:
                ticket_id = stream_id.rsplit("-", 1)[1]
                posted = await self.competitor.post_message(
                    AGENT, PostMessage(ticket_id=ticket_id, body="پاسخ همکار از سرور دیگر")
                )
                self.competing_writes.append(posted.version)
            finally:
                self._racing = False
        return await super().append(stream_id, events, expected_version=expected_version)


async def opened_in(store: RacedStore) -> str:
    """A ticket opened before the races start."""
    races, store.races_left = store.races_left, 0
    opened = await make_handlers(store).open_ticket(CUSTOMER, NEW_TICKET)
    store.races_left = races
    return opened.ticket_id


async def test_a_conflicting_write_from_another_process_is_decided_again_and_succeeds() -> None:
    store = RacedStore(races=1)
    ticket_id = await opened_in(store)

    posted = await make_handlers(store).post_message(
        CUSTOMER, PostMessage(ticket_id=ticket_id, body=REPLY)
    )

    assert store.competing_writes == [2]
    assert posted.version == 3
    stream = await store.read_stream(ticket_stream_id(BRAND, ticket_id))
    assert [(r.stream_version, r.metadata["actor"]["id"]) for r in stream] == [
        (1, "cust-1"),
        (2, "agent-1"),
        (3, "cust-1"),
    ]
    assert stream[-1].position == posted.position


async def test_a_command_decided_again_sees_what_the_other_process_wrote() -> None:
    """The customer's reply to a closed ticket would reopen it, but the other process's agent
    reply reopened it first: decided again, the reply alone is appended (no second reopen)."""
    store = RacedStore(races=0)
    ticket_id = await opened_in(store)
    handlers = make_handlers(store)
    await handlers.close_ticket(CUSTOMER, CloseTicket(ticket_id, reason="حل شد"))
    store.races_left = 1

    posted = await handlers.post_message(CUSTOMER, PostMessage(ticket_id=ticket_id, body=REPLY))

    stream = await store.read_stream(ticket_stream_id(BRAND, ticket_id))
    assert [(r.event_type, r.metadata["actor"]["id"]) for r in stream] == [
        ("TicketOpened", "cust-1"),
        ("TicketClosed", "cust-1"),
        ("TicketReopened", "agent-1"),
        ("MessagePosted", "agent-1"),
        ("MessagePosted", "cust-1"),
    ]
    assert posted.version == 5


async def test_a_ticket_this_process_wrote_last_is_decided_on_afresh_after_another_wrote(
    store: InMemoryEventStore,
) -> None:
    this_process, other_process = make_handlers(store), make_handlers(store)
    opened = await this_process.open_ticket(CUSTOMER, NEW_TICKET)
    await this_process.post_message(CUSTOMER, PostMessage(opened.ticket_id, body=REPLY))

    await other_process.close_ticket(AGENT, CloseTicket(opened.ticket_id, reason="حل شد"))
    posted = await this_process.post_message(
        CUSTOMER, PostMessage(opened.ticket_id, body="هنوز حل نشده است!")
    )

    stream = await store.read_stream(ticket_stream_id(BRAND, opened.ticket_id))
    assert [r.event_type for r in stream][2:] == ["TicketClosed", "TicketReopened", "MessagePosted"]
    assert posted.version == 5


async def test_a_ticket_another_process_transferred_is_visible_to_its_new_department(
    store: InMemoryEventStore,
) -> None:
    this_process, other_process = make_handlers(store), make_handlers(store)
    opened = await this_process.open_ticket(CUSTOMER, NEW_TICKET)  # in "technical"
    await other_process.change_ticket(ADMIN, ChangeTicket(opened.ticket_id, department="refunds"))

    posted = await this_process.post_message(
        REFUNDS_AGENT, PostMessage(opened.ticket_id, body="مبلغ تا ۷۲ ساعت آینده بازگردانده می‌شود.")
    )

    assert posted.version == 3


async def test_a_conflict_under_if_match_is_precondition_failed_and_writes_nothing() -> None:
    store = RacedStore(races=1)
    ticket_id = await opened_in(store)

    with pytest.raises(PreconditionFailed) as failed:
        await make_handlers(store).post_message(
            CUSTOMER, PostMessage(ticket_id=ticket_id, body=REPLY, if_match=1)
        )

    assert failed.value.current == 2
    stream = await store.read_stream(ticket_stream_id(BRAND, ticket_id))
    assert [r.metadata["actor"]["id"] for r in stream] == ["cust-1", "agent-1"]


async def test_an_if_match_on_a_stale_version_fails_before_deciding(
    handlers: TicketHandlers, store: InMemoryEventStore
) -> None:
    opened = await handlers.open_ticket(CUSTOMER, NEW_TICKET)
    await handlers.post_message(AGENT, PostMessage(ticket_id=opened.ticket_id, body=REPLY))

    with pytest.raises(PreconditionFailed) as failed:
        await handlers.close_ticket(CUSTOMER, CloseTicket(opened.ticket_id, if_match=1))

    assert failed.value.current == 2
    assert len(await store.read_stream(ticket_stream_id(BRAND, opened.ticket_id))) == 2


async def test_a_ticket_another_process_always_wins_gives_up_with_too_much_contention(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(handlers_module, "MAX_ATTEMPTS", 4)
    store = RacedStore(races=10)
    ticket_id = await opened_in(store)

    with pytest.raises(TooMuchContention):
        await make_handlers(store).post_message(
            CUSTOMER, PostMessage(ticket_id=ticket_id, body=REPLY)
        )

    assert store.competing_writes == [2, 3, 4, 5]
    stream = await store.read_stream(ticket_stream_id(BRAND, ticket_id))
    assert [r.metadata["actor"]["id"] for r in stream] == ["cust-1"] + ["agent-1"] * 4


# -- every stored event fits the public contract -------------------------------------------------


async def test_every_event_the_handlers_store_fits_the_public_contracts(
    handlers: TicketHandlers, store: InMemoryEventStore
) -> None:
    mine = await handlers.open_ticket(CUSTOMER, NEW_TICKET)
    for_customer = await handlers.open_ticket(
        REP,
        OpenTicket(
            title="درخواست فاکتور رسمی",
            department="finance",
            priority="normal",
            request_type="financial",
            body="لطفاً فاکتور رسمی تمدید سالانه را صادر کنید.",
            customer_id="cust-1",
        ),
    )
    by_agent = await handlers.open_ticket(
        AGENT, OpenTicket(**{**vars_of(NEW_TICKET), "customer_id": "cust-2"})
    )
    t = mine.ticket_id
    await handlers.read_ticket(AGENT, ReadTicket(t))
    await handlers.post_message(
        AGENT, PostMessage(ticket_id=t, body="یادداشت داخلی: بررسی شد", internal=True)
    )
    await handlers.post_message(AGENT, PostMessage(ticket_id=t, body=REPLY, follow_up=True))
    await handlers.read_ticket(CUSTOMER, ReadTicket(t))
    await handlers.change_ticket(
        ADMIN, ChangeTicket(t, department="finance", priority="urgent", assignee_id="agent-1")
    )
    await handlers.change_ticket(ADMIN, ChangeTicket(t, assignee_id=None))
    await handlers.close_ticket(CUSTOMER, CloseTicket(t, reason="مشکل برطرف شد"))
    await handlers.reopen_ticket(REP, ReopenTicket(t))
    await handlers.close_ticket(AGENT, CloseTicket(for_customer.ticket_id))
    await handlers.post_message(REP, PostMessage(ticket_id=for_customer.ticket_id, body=REPLY))
    await handlers.read_ticket(OTHER_CUSTOMER, ReadTicket(by_agent.ticket_id))

    records = await store.read_all(stream_prefix=f"ticket-{BRAND}-")

    assert {r.event_type for r in records} == set(EVENT_MODELS)  # the scenario covers them all
    for record in records:
        envelope = EventEnvelope.model_validate(public_envelope(record))
        assert envelope.brand_id == BRAND
        assert envelope.occurred_at == NOW
        assert envelope.position == record.position
        assert envelope.correlation_id.startswith("req-")
        data = parse_data(envelope)
        assert isinstance(data, EVENT_MODELS[record.event_type])
        assert EVENT_MODELS[record.event_type].model_validate(record.data) == data


def vars_of(cmd: OpenTicket) -> dict[str, object]:
    return {name: getattr(cmd, name) for name in OpenTicket.__slots__}
