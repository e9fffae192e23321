"""The Ticket aggregate, as given-events / when-command / then-events, one rule per test."""

from __future__ import annotations

import pytest
from ticketing_contracts.catalog import BrandCatalog
from ticketing_tickets.domain import (
    UNSET,
    Actor,
    AgentState,
    Forbidden,
    Priority,
    Role,
    Side,
    Ticket,
    ValidationFailed,
)
from ticketing_tickets.domain.events import (
    AgentViewed,
    CustomerRead,
    MessagePosted,
    PriorityChanged,
    TicketAssigned,
    TicketClosed,
    TicketOpened,
    TicketReopened,
    TicketTransferred,
)

CATALOG = BrandCatalog()
CUSTOMER = Actor("cust-1", Role.CUSTOMER)
OTHER_CUSTOMER = Actor("cust-2", Role.CUSTOMER)
REP = Actor("rep-1", Role.REPRESENTATIVE, customers=frozenset({"cust-1"}))
AGENT = Actor("agent-1", Role.AGENT, departments=frozenset({"technical"}))
FINANCE_AGENT = Actor("agent-2", Role.AGENT, departments=frozenset({"finance"}))
ANY_AGENT = Actor("agent-3", Role.AGENT)
ADMIN = Actor("admin-1", Role.ADMIN)
TID = "0f" * 16


def opened(**overrides: object) -> TicketOpened:
    fields: dict[str, object] = {
        "ticket_id": TID,
        "tracking_code": "12345674",
        "customer_id": "cust-1",
        "title": "خطا در ارسال پیامک انبوه",
        "department": "technical",
        "request_type": "technical",
        "priority": Priority.HIGH,
        "message_id": "m0",
        "body": "سلام، از دیروز پیامک‌های انبوه ارسال نمی‌شوند.",
        "attachment_ids": (),
        "opened_by_side": Side.CUSTOMER,
    }
    fields.update(overrides)
    return TicketOpened(**fields)  # type: ignore[arg-type]


def given(*events: object) -> Ticket:
    return Ticket.rehydrate(TID, events)  # type: ignore[arg-type]


def open_as(actor: Actor, **overrides: object) -> Ticket:
    args: dict[str, object] = {
        "actor": actor,
        "catalog": CATALOG,
        "ticket_id": TID,
        "tracking_code": "12345674",
        "message_id": "m0",
        "customer_id": None,
        "title": "  درخواست پیش فاکتور  ",
        "department": "technical",
        "request_type": "general",
        "priority": "normal",
        "body": "لطفاً پیش فاکتور ارتقای پنل را ارسال کنید.",
    }
    args.update(overrides)
    return Ticket.open(**args)  # type: ignore[arg-type]


def agent_reply(follow_up: bool = False) -> MessagePosted:
    return MessagePosted("m1", "پاسخ کارشناس", (), False, follow_up, Side.AGENT)


def customer_reply() -> MessagePosted:
    return MessagePosted("m2", "توضیح بیشتر مشتری", (), False, False, Side.CUSTOMER)


# -- opening ---------------------------------------------------------------------------------


def test_a_customer_opens_its_own_ticket_not_seen_and_unread_with_one_message_for_agents() -> None:
    ticket = open_as(CUSTOMER)
    [event] = ticket.pending
    assert isinstance(event, TicketOpened)
    assert event.customer_id == "cust-1"
    assert event.title == "درخواست پیش فاکتور"  # trimmed
    assert event.opened_by_side is Side.CUSTOMER
    assert (ticket.agent_state, ticket.customer_read) == (AgentState.NOT_SEEN, False)
    assert (ticket.agent_unread, ticket.customer_unread) == (1, 0)


def test_a_customer_may_name_itself_but_not_another_customer() -> None:
    assert open_as(CUSTOMER, customer_id="cust-1").customer_id == "cust-1"
    with pytest.raises(Forbidden):
        open_as(CUSTOMER, customer_id="cust-2")


def test_a_representative_opens_for_a_customer_it_represents_on_the_customer_side() -> None:
    ticket = open_as(REP, customer_id="cust-1")
    assert ticket.customer_id == "cust-1"
    assert ticket.agent_state is AgentState.NOT_SEEN
    assert ticket.agent_unread == 1


def test_a_representative_may_not_open_for_a_customer_outside_its_claim() -> None:
    with pytest.raises(Forbidden):
        open_as(REP, customer_id="cust-9")


@pytest.mark.parametrize("actor", [REP, AGENT, ADMIN])
def test_opening_for_someone_else_requires_customer_id(actor: Actor) -> None:
    with pytest.raises(ValidationFailed) as err:
        open_as(actor)
    assert [e.field for e in err.value.errors] == ["customer_id"]


def test_an_agent_opens_a_ticket_to_a_customer_answered_following_up_unread_by_the_customer() -> (
    None
):
    ticket = open_as(AGENT, customer_id="cust-1")
    assert ticket.agent_state is AgentState.ANSWERED_FOLLOWING_UP
    assert (ticket.customer_read, ticket.customer_unread, ticket.agent_unread) == (False, 1, 0)


def test_an_agent_may_not_open_a_ticket_in_a_department_it_does_not_serve() -> None:
    with pytest.raises(Forbidden):
        open_as(AGENT, customer_id="cust-1", department="finance")


def test_every_bad_field_of_an_opening_is_named_at_once() -> None:
    with pytest.raises(ValidationFailed) as err:
        open_as(
            CUSTOMER,
            title="   ",
            body="x" * 20_001,
            department="sales",
            request_type="legal",
            priority="critical",
            attachment_ids=[f"a{i}" for i in range(11)],
        )
    fields = {e.field for e in err.value.errors}
    assert fields == {"title", "body", "department", "request_type", "priority", "attachment_ids"}


@pytest.mark.parametrize(
    ("field", "value", "ok"),
    [
        ("title", "ع" * 200, True),
        ("title", "ع" * 201, False),
        ("title", "  ع  ", True),
        ("title", "عنوان\x00", False),
        ("title", "عنوان\nدوم", False),
        ("body", "ب" * 20_000, True),
        ("body", "ب" * 20_001, False),
        ("body", "خط اول\nخط دوم\tستون", True),
        ("body", "\n\t ", False),
    ],
)
def test_title_and_body_limits_apply_after_trimming(field: str, value: str, ok: bool) -> None:
    if ok:
        open_as(CUSTOMER, **{field: value})
    else:
        with pytest.raises(ValidationFailed):
            open_as(CUSTOMER, **{field: value})


def test_a_brand_catalogue_replaces_the_default_departments() -> None:
    catalog = BrandCatalog(departments={"sales": "فروش"}, request_types={"general": "عمومی"})
    assert open_as(CUSTOMER, catalog=catalog, department="sales").department == "sales"
    with pytest.raises(ValidationFailed):
        open_as(CUSTOMER, catalog=catalog, department="technical")


def test_repeated_attachment_ids_are_refused() -> None:
    with pytest.raises(ValidationFailed):
        open_as(CUSTOMER, attachment_ids=["a1", "a1"])


# -- messages: every row of STATES.md --------------------------------------------------------


def test_a_customer_message_makes_it_not_seen_read_by_the_customer_and_counts_for_agents() -> None:
    ticket = given(opened(), AgentViewed(), agent_reply())
    ticket.post_message(actor=CUSTOMER, message_id="m2", body="ممنون، ولی هنوز مشکل دارم")
    [event] = ticket.pending
    assert event == MessagePosted(
        "m2", "ممنون، ولی هنوز مشکل دارم", (), False, False, Side.CUSTOMER
    )
    assert (ticket.agent_state, ticket.customer_read) == (AgentState.NOT_SEEN, True)
    assert (ticket.agent_unread, ticket.customer_unread) == (1, 0)


def test_a_representatives_message_counts_as_the_customers() -> None:
    ticket = given(opened())
    ticket.post_message(actor=REP, message_id="m2", body="به نمایندگی از مشتری")
    assert ticket.pending[0].author_side is Side.CUSTOMER  # type: ignore[union-attr]
    assert ticket.agent_unread == 2


@pytest.mark.parametrize(
    ("follow_up", "state"),
    [(True, AgentState.ANSWERED_FOLLOWING_UP), (False, AgentState.ANSWERED)],
)
def test_an_agent_reply_answers_and_is_unread_by_the_customer(
    follow_up: bool, state: AgentState
) -> None:
    ticket = given(opened(), CustomerRead(), customer_reply())
    ticket.post_message(actor=AGENT, message_id="m3", body="بررسی شد", follow_up=follow_up)
    assert (ticket.agent_state, ticket.customer_read) == (state, False)
    assert (ticket.customer_unread, ticket.agent_unread) == (1, 0)


def test_agent_replies_accumulate_unread_for_the_customer() -> None:
    ticket = given(opened(), agent_reply(), agent_reply(True))
    assert ticket.customer_unread == 2


def test_an_internal_note_changes_no_status_and_no_counter() -> None:
    ticket = given(opened())
    before = (ticket.agent_state, ticket.customer_read, ticket.agent_unread, ticket.customer_unread)
    ticket.post_message(actor=AGENT, message_id="m3", body="یادداشت داخلی", internal=True)
    assert ticket.pending[0].internal is True  # type: ignore[union-attr]
    assert (
        ticket.agent_state,
        ticket.customer_read,
        ticket.agent_unread,
        ticket.customer_unread,
    ) == before


def test_an_internal_note_is_never_a_follow_up() -> None:
    ticket = given(opened())
    ticket.post_message(actor=AGENT, message_id="m3", body="یادداشت", internal=True, follow_up=True)
    assert ticket.pending[0].follow_up is False  # type: ignore[union-attr]


@pytest.mark.parametrize("name", ["follow_up", "internal"])
@pytest.mark.parametrize("actor", [CUSTOMER, REP])
def test_the_customer_side_may_not_set_agent_only_fields(name: str, actor: Actor) -> None:
    ticket = given(opened())
    with pytest.raises(ValidationFailed) as err:
        ticket.post_message(actor=actor, message_id="m9", body="سلام", **{name: False})
    assert [e.field for e in err.value.errors] == [name]


def test_a_visible_message_on_a_closed_ticket_reopens_it_first() -> None:
    ticket = given(opened(), TicketClosed(None))
    ticket.post_message(actor=CUSTOMER, message_id="m2", body="مشکل دوباره پیش آمد")
    assert [type(e) for e in ticket.pending] == [TicketReopened, MessagePosted]
    assert ticket.closed is False


def test_an_agent_reply_on_a_closed_ticket_also_reopens_it() -> None:
    ticket = given(opened(), TicketClosed("حل شد"))
    ticket.post_message(actor=AGENT, message_id="m2", body="پیگیری")
    assert [type(e) for e in ticket.pending] == [TicketReopened, MessagePosted]


def test_an_internal_note_on_a_closed_ticket_leaves_it_closed() -> None:
    ticket = given(opened(), TicketClosed(None))
    ticket.post_message(actor=AGENT, message_id="m2", body="یادداشت", internal=True)
    assert [type(e) for e in ticket.pending] == [MessagePosted]
    assert ticket.closed


# -- reads ----------------------------------------------------------------------------------


def test_an_agent_viewing_a_not_seen_ticket_starts_reviewing_and_clears_agent_unread() -> None:
    ticket = given(opened(), customer_reply())
    ticket.read(actor=AGENT)
    assert ticket.pending == [AgentViewed()]
    assert (ticket.agent_state, ticket.agent_unread) == (AgentState.REVIEWING, 0)


def test_an_agent_viewing_an_answered_ticket_keeps_its_state() -> None:
    ticket = given(opened(), agent_reply(), customer_reply(), AgentViewed())
    assert ticket.agent_state is AgentState.REVIEWING
    ticket = given(opened(), AgentViewed(), agent_reply())
    ticket.read(actor=ADMIN)
    assert ticket.pending == []  # nothing to change: answered, nothing unread
    assert ticket.agent_state is AgentState.ANSWERED


def test_a_customer_read_marks_it_read_and_clears_customer_unread() -> None:
    ticket = given(opened(), agent_reply(), agent_reply())
    ticket.read(actor=CUSTOMER)
    assert ticket.pending == [CustomerRead()]
    assert (ticket.customer_read, ticket.customer_unread) == (True, 0)


def test_a_representative_reads_on_the_customers_behalf() -> None:
    ticket = given(opened(), agent_reply())
    ticket.read(actor=REP)
    assert ticket.pending == [CustomerRead()]


def test_reading_what_is_read_records_nothing() -> None:
    ticket = given(opened(), CustomerRead(), AgentViewed())
    ticket.read(actor=CUSTOMER)
    ticket.read(actor=AGENT)
    assert ticket.pending == []


# -- close, reopen, change -------------------------------------------------------------------


def test_closing_twice_records_one_close_and_reopening_an_open_ticket_records_nothing() -> None:
    ticket = given(opened())
    ticket.close(actor=CUSTOMER, reason=" حل شد ")
    ticket.close(actor=CUSTOMER)
    ticket.reopen(actor=AGENT)
    ticket.reopen(actor=AGENT)
    assert ticket.pending == [TicketClosed("حل شد"), TicketReopened()]


def test_close_and_reopen_leave_the_status_halves_alone() -> None:
    ticket = given(opened(), AgentViewed(), agent_reply(True), TicketClosed(None), TicketReopened())
    assert (ticket.agent_state, ticket.customer_read) == (AgentState.ANSWERED_FOLLOWING_UP, False)


def test_an_agent_transfers_reprioritises_and_assigns_in_one_change() -> None:
    ticket = given(opened())
    ticket.change(
        actor=AGENT, catalog=CATALOG, department="finance", priority="urgent", assignee_id="agent-7"
    )
    assert ticket.pending == [
        TicketTransferred("technical", "finance"),
        PriorityChanged(Priority.HIGH, Priority.URGENT),
        TicketAssigned("agent-7", None),
    ]


def test_a_change_to_the_same_values_records_nothing_and_null_unassigns() -> None:
    ticket = given(opened(), TicketAssigned("agent-7", None))
    ticket.change(actor=ADMIN, catalog=CATALOG, department="technical", priority="high")
    assert ticket.pending == []
    ticket.change(actor=ADMIN, catalog=CATALOG, assignee_id=None)
    assert ticket.pending == [TicketAssigned(None, "agent-7")]
    ticket.change(actor=ADMIN, catalog=CATALOG, assignee_id=UNSET)
    assert len(ticket.pending) == 1


@pytest.mark.parametrize("actor", [CUSTOMER, REP])
def test_the_customer_side_may_not_change_a_ticket(actor: Actor) -> None:
    with pytest.raises(Forbidden):
        given(opened()).change(actor=actor, catalog=CATALOG, priority="urgent")


def test_a_change_to_an_unknown_department_or_priority_is_refused() -> None:
    with pytest.raises(ValidationFailed) as err:
        given(opened()).change(actor=AGENT, catalog=CATALOG, department="sales", priority="asap")
    assert {e.field for e in err.value.errors} == {"department", "priority"}


# -- visibility ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "visible"),
    [
        (CUSTOMER, True),
        (OTHER_CUSTOMER, False),
        (REP, True),
        (Actor("rep-2", Role.REPRESENTATIVE, customers=frozenset({"cust-2"})), False),
        (AGENT, True),
        (FINANCE_AGENT, False),
        (ANY_AGENT, True),
        (ADMIN, True),
    ],
)
def test_who_may_see_a_technical_ticket_of_cust_1(actor: Actor, visible: bool) -> None:
    assert given(opened()).visible_to(actor) is visible


def test_every_code_of_states_md_is_reachable() -> None:
    def code(t: Ticket) -> int:
        order = list(AgentState)
        return order.index(t.agent_state) + 1 + (4 if t.customer_read else 0)

    walks = {
        1: [opened()],
        2: [opened(), AgentViewed()],
        6: [opened(), AgentViewed(), CustomerRead()],
        5: [opened(), CustomerRead()],
        3: [opened(), agent_reply(True)],
        4: [opened(), agent_reply(False)],
        7: [opened(), agent_reply(True), CustomerRead()],
        8: [opened(), agent_reply(False), CustomerRead()],
    }
    for expected, events in walks.items():
        assert code(given(*events)) == expected
    assert code(given(opened(), agent_reply(), CustomerRead(), customer_reply())) == 5
