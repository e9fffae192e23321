"""Properties of the shared model over generated histories and identities."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st
from ticketing_contracts import MessagePosted, TicketOpened
from ticketing_model import LABELS, AgentState, Scope, Side, TicketFacts, evolve

from .histories import Claims, Told, histories, identities


def fold(events: list) -> TicketFacts:  # type: ignore[type-arg]
    facts: TicketFacts | None = None
    for event in events:
        facts = evolve(facts, event)
    assert facts is not None
    return facts


@settings(max_examples=200, deadline=None)
@given(story=histories(), seed=st.integers(0, 2**16))
def test_redelivering_any_earlier_events_leaves_the_same_facts(story: Told, seed: int) -> None:
    rng = random.Random(seed)
    delivered = []
    for n, event in enumerate(story.events):
        delivered.append(event)
        if n and rng.random() < 0.4:
            delivered.extend(rng.sample(story.events[: n + 1], k=rng.randint(1, n + 1)))

    assert fold(delivered) == fold(story.events)


@settings(max_examples=200, deadline=None)
@given(story=histories())
def test_the_facts_of_any_history_are_a_consistent_status(story: Told) -> None:
    facts = fold(story.events)
    last_visible = [
        e
        for e in story.events
        if e.event_type == "TicketOpened"
        or (isinstance(e.event, MessagePosted) and not e.event.internal)
    ][-1]

    assert facts.label == LABELS[facts.code]
    assert facts.version == len(story.events)
    assert facts.department == story.department
    assert facts.agent_unread >= 0
    assert facts.customer_unread >= 0
    # Only one side can have unread messages: each side's message clears the other's count.
    assert facts.agent_unread == 0 or facts.customer_unread == 0
    visible = last_visible.event
    assert isinstance(visible, TicketOpened | MessagePosted)
    side = visible.opened_by_side if isinstance(visible, TicketOpened) else visible.author_side
    if side == Side.CUSTOMER:
        assert facts.customer_unread == 0
        assert facts.agent_state in (AgentState.NOT_SEEN, AgentState.REVIEWING)
    else:
        assert facts.agent_unread == 0
        assert facts.agent_state in (AgentState.ANSWERED, AgentState.ANSWERED_FOLLOWING_UP)


def _sees_as_api_md_says(claims: Claims, facts: TicketFacts) -> bool:
    """API.md, Who sees what, written out case by case."""
    if claims.brand != facts.brand_id:
        return False
    if claims.role == "customer":
        return facts.customer_id == claims.sub
    if claims.role == "representative":
        return facts.customer_id in claims.customers
    if claims.role == "agent":
        return claims.departments is None or facts.department in claims.departments
    return claims.role == "admin"


@settings(max_examples=300, deadline=None)
@given(story=histories(), claims=identities())
def test_any_identity_is_admitted_to_a_ticket_exactly_as_api_md_says_on_its_current_facts(
    story: Told, claims: Claims
) -> None:
    facts = fold(story.events)
    scope = Scope.for_identity(
        role=claims.role,
        sub=claims.sub,
        brand=claims.brand,
        departments=claims.departments,
        customers=claims.customers,
    )

    assert scope.admits(facts) is _sees_as_api_md_says(claims, facts)
    assert scope.side is (
        Side.CUSTOMER if claims.role in ("customer", "representative") else Side.AGENT
    )
