"""Each read model adapter translates a ticketing_model.Scope into its own query (SQL, a Mongo
filter, a loop): over generated tickets (transferred any number of times) and generated
identities, a list and the counters select exactly the tickets `Scope.admits` says."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from read_model_fixtures import ADAPTER_PARAMS, READ_MODELS, Clock, Story, folded, listed, project
from ticketing_model import Scope
from ticketing_query.application.ports import TicketFilter

from tests.unit.model.histories import BRANDS, CUSTOMERS, DEPARTMENTS, Claims, identities

tickets = st.lists(
    st.tuples(
        st.sampled_from(BRANDS),
        st.sampled_from(CUSTOMERS),
        st.sampled_from(DEPARTMENTS),
        st.lists(st.sampled_from(DEPARTMENTS), max_size=3),  # where it is transferred, in turn
        st.booleans(),  # opened by an agent
    ),
    min_size=1,
    max_size=8,
)


@pytest.mark.parametrize("name", ADAPTER_PARAMS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generated=tickets, who=st.lists(identities(), min_size=1, max_size=6))
def test_each_adapter_selects_exactly_the_tickets_the_scope_admits(
    name: str, generated: list[tuple[str, str, str, list[str], bool]], who: list[Claims]
) -> None:
    clock = Clock()
    stories = []
    for n, (brand, customer, department, moves, by_agent) in enumerate(generated):
        story = Story(
            clock,
            brand_id=brand,
            customer_id=customer,
            department=department,
            tracking_code=f"6000{n:04d}",
        )
        story.opened(by_agent=by_agent)
        for to in moves:
            if to != story.department:
                story.transferred(to)
        stories.append(story)
    events = sorted((e for s in stories for e in s.events), key=lambda e: e.position)
    scopes = [
        Scope.for_identity(
            role=c.role,
            sub=c.sub,
            brand=c.brand,
            departments=c.departments,
            customers=c.customers,
        )
        for c in who
    ]
    with tempfile.TemporaryDirectory() as directory:
        asyncio.run(_compare(name, Path(directory), events, scopes))


async def _compare(name: str, directory: Path, events: list, scopes: list[Scope]) -> None:  # type: ignore[type-arg]
    adapter = READ_MODELS[name]
    read_model = adapter.make(directory)
    try:
        await project(read_model, events)
        views, _ = folded(events)
        for scope in scopes:
            admitted = {v.ticket_id for v in views.values() if scope.admits(v)}
            assert set(await listed(read_model, scope, TicketFilter(), page=3)) == admitted
            assert (await read_model.counters(scope)).total == len(admitted)
    finally:
        await read_model.close()
        await adapter.discard(directory)
