"""The tickets aggregate decides on its own state; the query view shows a state folded by
ticketing_model.evolve. Over any generated history of commands, the two must agree: the status
code, both unread counts, closed, department, priority and assignee."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from ticketing_contracts.catalog import BrandCatalog
from ticketing_model import TicketFacts, evolve, status_code
from ticketing_query.domain.search import tokens
from ticketing_query.domain.view import TicketView, fold
from ticketing_tickets.application.codec import event_data
from ticketing_tickets.domain import Actor, Role, Ticket

from tests.typed_events import event_in

CATALOG = BrandCatalog()
CUSTOMER = Actor("cust-1", Role.CUSTOMER, name="مریم رضایی")
REP = Actor("rep-1", Role.REPRESENTATIVE, customers=frozenset({"cust-1"}))
AGENT = Actor("agent-1", Role.AGENT, departments=None, name="علی محمدی")
ADMIN = Actor("admin-1", Role.ADMIN)
TID = "0f" * 16
COMMANDS = (
    "customer_writes",
    "representative_writes",
    "agent_replies",
    "agent_follows_up",
    "agent_notes",
    "customer_reads",
    "agent_reads",
    "admin_reads",
    "close",
    "reopen",
    "transfer",
    "reprioritise",
    "assign",
)
DEPARTMENTS = ("technical", "finance", "refunds")


def _drive(ticket: Ticket, command: str, arg: int, n: int) -> None:
    match command:
        case "customer_writes" | "representative_writes":
            who = CUSTOMER if command == "customer_writes" else REP
            ticket.post_message(actor=who, message_id=f"m{n}", body="هنوز مشکل پابرجاست")
        case "agent_replies" | "agent_follows_up" | "agent_notes":
            ticket.post_message(
                actor=AGENT,
                message_id=f"m{n}",
                body="لطفاً دوباره امتحان کنید",
                follow_up=command == "agent_follows_up",
                internal=command == "agent_notes",
            )
        case "customer_reads":
            ticket.read(actor=CUSTOMER)
        case "agent_reads" | "admin_reads":
            ticket.read(actor=AGENT if command == "agent_reads" else ADMIN)
        case "close":
            ticket.close(actor=AGENT, reason="حل شد" if arg else None)
        case "reopen":
            ticket.reopen(actor=CUSTOMER)
        case "transfer":
            ticket.change(actor=ADMIN, catalog=CATALOG, department=DEPARTMENTS[arg])
        case "reprioritise":
            ticket.change(actor=ADMIN, catalog=CATALOG, priority=("low", "high", "urgent")[arg])
        case "assign":
            ticket.change(actor=ADMIN, catalog=CATALOG, assignee_id=None if arg == 0 else "ag-2")


@settings(max_examples=200, deadline=None)
@given(
    opened_by_agent=st.booleans(),
    commands=st.lists(st.tuples(st.sampled_from(COMMANDS), st.integers(0, 2)), max_size=40),
)
def test_the_aggregate_and_the_query_view_agree_on_every_generated_history(
    opened_by_agent: bool, commands: list[tuple[str, int]]
) -> None:
    ticket = Ticket.open(
        actor=AGENT if opened_by_agent else CUSTOMER,
        catalog=CATALOG,
        ticket_id=TID,
        tracking_code="48213057",
        message_id="m0",
        customer_id="cust-1",
        title="درخواست پیش فاکتور",
        department="finance",
        request_type="financial",
        priority="normal",
        body="لطفاً پیش فاکتور ارتقای پنل را بفرستید.",
    )
    for n, (command, arg) in enumerate(commands, start=1):
        _drive(ticket, command, arg, n)

    view: TicketView | None = None
    facts: TicketFacts | None = None
    start = datetime(2026, 3, 21, 8, 30, tzinfo=UTC)
    for version, event in enumerate(ticket.pending, start=1):
        received = event_in(
            position=version,
            brand_id="acme",
            ticket_id=TID,
            stream_version=version,
            event_type=type(event).__name__,
            occurred_at=start + timedelta(minutes=version),
            actor_id="someone",
            actor_role="agent",
            data=event_data(event),
        )
        view = fold(view, received, tokens).view
        facts = evolve(facts, received)

    assert view is not None
    assert facts is not None
    decided = (
        status_code(ticket.agent_state, ticket.customer_read),
        ticket.agent_unread,
        ticket.customer_unread,
        ticket.closed,
        ticket.department,
        ticket.priority.value,
        ticket.assignee_id,
    )
    shown = (
        view.code,
        view.agent_unread,
        view.customer_unread,
        view.closed,
        view.department,
        view.priority,
        view.assignee_id,
    )
    assert shown == decided
    assert (
        facts.code,
        facts.agent_unread,
        facts.customer_unread,
        facts.closed,
        facts.department,
        facts.priority,
        facts.assignee_id,
    ) == decided
