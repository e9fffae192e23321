"""Who sees which ticket: one Scope per identity, and `admits` on the ticket as it stands now."""

from __future__ import annotations

import pytest
from ticketing_model import Role, Scope, Side, TicketFacts, evolve

from .histories import Told


def ticket(
    *, brand: str = "acme", customer: str = "cust-1", department: str = "technical"
) -> TicketFacts:
    story = Told(brand, "0f" * 16, customer, department)
    story.opened()
    facts = evolve(None, story.events[0])
    assert facts is not None
    return facts


T = ticket()


@pytest.mark.parametrize(
    ("claims", "side", "admitted"),
    [
        ({"role": "customer", "sub": "cust-1"}, Side.CUSTOMER, True),
        ({"role": "customer", "sub": "cust-2"}, Side.CUSTOMER, False),
        ({"role": "representative", "sub": "rep-1", "customers": ["cust-1"]}, Side.CUSTOMER, True),
        ({"role": "representative", "sub": "rep-1", "customers": ["cust-2"]}, Side.CUSTOMER, False),
        ({"role": "representative", "sub": "cust-1"}, Side.CUSTOMER, False),
        ({"role": "agent", "sub": "agent-1", "departments": ["technical"]}, Side.AGENT, True),
        ({"role": "agent", "sub": "agent-1", "departments": ["finance"]}, Side.AGENT, False),
        ({"role": "agent", "sub": "agent-1", "departments": []}, Side.AGENT, False),
        ({"role": "agent", "sub": "agent-1"}, Side.AGENT, True),
        ({"role": "admin", "sub": "admin-1", "departments": ["finance"]}, Side.AGENT, True),
    ],
)
def test_each_identity_sees_from_its_side_exactly_the_tickets_api_md_gives_it(
    claims: dict[str, object], side: Side, admitted: bool
) -> None:
    scope = Scope.for_identity(brand="acme", **claims)  # type: ignore[arg-type]

    assert scope.side is side
    assert scope.admits(T) is admitted


@pytest.mark.parametrize("role", list(Role))
def test_no_identity_sees_another_brands_ticket(role: Role) -> None:
    scope = Scope.for_identity(
        role=role, sub="cust-1", brand="globex", departments=None, customers=["cust-1"]
    )

    assert not scope.admits(T)


def test_after_a_transfer_the_new_department_sees_the_ticket_and_the_old_one_does_not() -> None:
    story = Told("acme", "0f" * 16, "cust-1", "technical")
    story.opened()
    story.step("transferred", 1)
    facts: TicketFacts | None = None
    for event in story.events:
        facts = evolve(facts, event)
    assert facts is not None
    technical = Scope.for_identity(role="agent", sub="a1", brand="acme", departments=["technical"])
    finance = Scope.for_identity(role="agent", sub="a2", brand="acme", departments=["finance"])

    assert (technical.admits(facts), finance.admits(facts)) == (False, True)


def test_a_role_that_is_not_one_of_the_four_has_no_scope() -> None:
    with pytest.raises(ValueError, match="superuser"):
        Scope.for_identity(role="superuser", sub="x", brand="acme")


def test_a_side_given_as_text_is_the_side() -> None:
    assert Scope("acme", "agent").side is Side.AGENT  # type: ignore[arg-type]
