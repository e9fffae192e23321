"""The read model port's contract: every adapter (read_model_fixtures.READ_MODELS) passes all of it.

Views are built by the real fold from events shaped like the tickets service's, with Persian
titles and bodies (zero-width non-joiners, Arabic ي/ك, Persian digits).
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from read_model_fixtures import (
    ADAPTER_PARAMS,
    READ_MODELS,
    Clock,
    ReadModelAdapter,
    Story,
    expected_counters,
    expected_list,
    folded,
    listed,
    project,
)
from ticketing_model import Scope
from ticketing_query.application.ports import Cursor, ProjectionBatch, ReadModel
from ticketing_query.application.ports import TicketFilter as Filter
from ticketing_query.domain.search import query_terms

AGENT = Scope("acme", "agent")
CUSTOMER = Scope("acme", "customer", customer_ids=frozenset({"cust-1"}))


@pytest.fixture(params=ADAPTER_PARAMS)
def adapter(request: pytest.FixtureRequest) -> ReadModelAdapter:
    return READ_MODELS[request.param]


@pytest.fixture
async def read_model(adapter: ReadModelAdapter, tmp_path: Path) -> AsyncIterator[ReadModel]:
    model = adapter.make(tmp_path)
    yield model
    await model.close()
    await adapter.discard(tmp_path)


@pytest.fixture
def clock() -> Clock:
    return Clock()


# -- writes: version guard, messages once, checkpoint ------------------------------------------


async def test_stored_versions_the_batch_carries_spare_reads_but_never_lose_a_view(
    read_model: ReadModel, clock: Clock
) -> None:
    story = Story(clock)
    story.opened()
    story.agent_reply("پاسخ اول")
    story.customer_reply("ممنون، ولی هنوز درست نشده")
    key = (story.brand_id, story.ticket_id)
    first = folded(story.events[:1])[0][key]
    second = folded(story.events[:2])[0][key]
    latest = folded(story.events)[0][key]
    await read_model.apply(ProjectionBatch([first], [], 1))
    await read_model.apply(ProjectionBatch([second], [], 2, {key: first.version}))
    assert await read_model.get("acme", story.ticket_id) == second
    # Carried as stored, yet not there (the read model was reset after it was read): stored.
    await read_model.reset()
    await read_model.apply(ProjectionBatch([latest], [], 3, {key: second.version}))
    assert await read_model.get("acme", story.ticket_id) == latest
    assert (await read_model.counters(AGENT)).total == 1


async def test_a_view_is_stored_only_when_its_version_is_above_the_stored_one(
    read_model: ReadModel, clock: Clock
) -> None:
    story = Story(clock)
    story.opened()
    story.agent_reply("لطفاً شماره فاکتور را بفرستید")
    views, _ = folded(story.events[:1])
    [first] = views.values()
    latest = folded(story.events)[0][(story.brand_id, story.ticket_id)]
    await read_model.apply(ProjectionBatch([latest], [], 2))
    await read_model.apply(ProjectionBatch([first], [], 1))  # older: ignored
    renamed = dataclasses.replace(latest, title="عنوان دیگر")
    await read_model.apply(ProjectionBatch([renamed], [], 2))  # equal version: ignored
    assert await read_model.get("acme", story.ticket_id) == latest
    counters = await read_model.counters(AGENT)
    assert (counters.total, counters.by_status[4]) == (1, 1)


async def test_a_message_is_stored_once_however_often_it_is_applied(
    read_model: ReadModel, clock: Clock
) -> None:
    story = Story(clock)
    story.opened()
    story.customer_reply()
    views, messages = folded(story.events)
    for _ in range(3):
        await read_model.apply(ProjectionBatch(list(views.values()), messages, 2))
    stored = await read_model.messages("acme", story.ticket_id)
    assert [m.message_id for m in stored] == [m.message_id for m in messages]


async def test_the_checkpoint_starts_at_zero_and_never_moves_back(read_model: ReadModel) -> None:
    assert await read_model.checkpoint() == 0
    await read_model.apply(ProjectionBatch([], [], 40))
    await read_model.apply(ProjectionBatch([], [], 12))
    assert await read_model.checkpoint() == 40


async def test_load_returns_stored_views_with_their_words_and_leaves_absent_ones_out(
    read_model: ReadModel, clock: Clock
) -> None:
    story = Story(clock)
    story.opened()
    story.internal_note("مشتری ویژه است")
    views, _ = folded(story.events)
    await read_model.apply(ProjectionBatch(list(views.values()), [], 2))
    loaded = await read_model.load([("acme", story.ticket_id), ("acme", "0" * 32)])
    assert loaded == views
    assert "ویژه" in loaded[("acme", story.ticket_id)].internal_words


async def test_a_ticket_is_found_by_id_and_tracking_code_only_in_its_own_brand(
    read_model: ReadModel, clock: Clock
) -> None:
    story = Story(clock, tracking_code="14030217")
    story.opened()
    await project(read_model, story.events)
    view = await read_model.get("acme", story.ticket_id)
    assert view is not None
    assert await read_model.by_tracking_code("acme", "14030217") == view
    assert await read_model.get("globex", story.ticket_id) is None
    assert await read_model.by_tracking_code("globex", "14030217") is None


async def test_messages_come_oldest_first_with_the_opening_body_first(
    read_model: ReadModel, clock: Clock
) -> None:
    story = Story(clock)
    story.opened(body="متن اول")
    story.agent_reply("پاسخ کارشناس", attachment_ids=["att-1", "att-2"])
    story.internal_note("یادداشت داخلی")
    story.customer_reply("ممنون")
    await project(read_model, story.events[2:])  # later events first: nothing without an opening
    await project(read_model, story.events)
    messages = await read_model.messages("acme", story.ticket_id)
    assert [m.body for m in messages] == ["متن اول", "پاسخ کارشناس", "یادداشت داخلی", "ممنون"]
    assert messages[1].attachment_ids == ("att-1", "att-2")
    assert [m.internal for m in messages] == [False, False, True, False]
    assert messages[0].created_at == story.events[0].occurred_at


async def test_each_message_keeps_its_authors_name_or_none(
    read_model: ReadModel, clock: Clock
) -> None:
    story = Story(clock)
    story.opened(name="مریم رضایی")
    story.agent_reply(name="علی کریمی")
    story.internal_note()
    await project(read_model, story.events)
    messages = await read_model.messages("acme", story.ticket_id)
    assert [m.author_name for m in messages] == ["مریم رضایی", "علی کریمی", None]


async def test_who_closed_a_ticket_when_and_why_is_kept_until_it_is_reopened(
    read_model: ReadModel, clock: Clock
) -> None:
    story = Story(clock)
    story.opened()
    closing = story.closed(reason="مشکل برطرف شد", name="مریم رضایی", by=("cust-1", "customer"))
    await project(read_model, story.events)
    view = await read_model.get("acme", story.ticket_id)
    assert view is not None
    assert (view.closed, view.closed_at) == (True, closing.occurred_at)
    assert (view.closed_by_id, view.closed_by_role, view.closed_by_name) == (
        "cust-1",
        "customer",
        "مریم رضایی",
    )
    assert view.close_reason == "مشکل برطرف شد"
    assert await read_model.load([("acme", story.ticket_id)]) == {("acme", story.ticket_id): view}
    assert await read_model.list(AGENT, Filter(closed=True), limit=5, after=None) == [view]
    story.reopened()
    await project(read_model, story.events[-1:])
    reopened = await read_model.get("acme", story.ticket_id)
    assert reopened is not None
    assert reopened.closed is False
    assert (reopened.closed_at, reopened.closed_by_id, reopened.closed_by_role) == (None,) * 3
    assert (reopened.closed_by_name, reopened.close_reason) == (None, None)


async def test_a_ticket_with_its_messages_is_read_together_only_in_its_own_brand(
    read_model: ReadModel, clock: Clock
) -> None:
    story = Story(clock)
    story.opened(body="سلام، پیامک‌ها ارسال نمی‌شوند")
    story.internal_note("لاگ اپراتور بررسی شود")
    story.agent_reply("مشکل برطرف شد")
    await project(read_model, story.events)
    found = await read_model.ticket_with_messages("acme", story.ticket_id)
    assert found == (
        await read_model.get("acme", story.ticket_id),
        await read_model.messages("acme", story.ticket_id),
    )
    assert found is not None
    assert [m.body for m in found[1]] == [
        "سلام، پیامک‌ها ارسال نمی‌شوند",
        "لاگ اپراتور بررسی شود",
        "مشکل برطرف شد",
    ]
    assert await read_model.ticket_with_messages("globex", story.ticket_id) is None
    assert await read_model.ticket_with_messages("acme", "0" * 32) is None


async def test_reset_forgets_every_ticket_message_counter_and_the_checkpoint(
    read_model: ReadModel, clock: Clock
) -> None:
    story = Story(clock)
    story.opened()
    await project(read_model, story.events)
    await read_model.reset()
    assert await read_model.checkpoint() == 0
    assert await read_model.get("acme", story.ticket_id) is None
    assert await read_model.messages("acme", story.ticket_id) == []
    assert (await read_model.counters(AGENT)).total == 0


async def test_a_reopened_read_model_keeps_everything(
    adapter: ReadModelAdapter, tmp_path: Path, clock: Clock
) -> None:
    if not adapter.durable:
        pytest.skip("this adapter keeps nothing across instances")
    story = Story(clock)
    story.opened()
    first = adapter.make(tmp_path)
    await project(first, story.events)
    before = await first.get("acme", story.ticket_id)
    await first.close()
    second = adapter.make(tmp_path)
    try:
        assert await second.get("acme", story.ticket_id) == before
        assert await second.checkpoint() == story.events[-1].position
    finally:
        await second.close()
        await adapter.discard(tmp_path)


# -- lists: order, paging, filters -------------------------------------------------------------


async def test_a_list_is_newest_activity_first_with_ties_broken_by_ticket_id(
    read_model: ReadModel, clock: Clock
) -> None:
    stories = [Story(clock, ticket_id=f"{n:032x}", tracking_code=f"1000{n:04d}") for n in range(6)]
    for story in stories:
        story.opened(seconds=0 if story is not stories[0] else 60)  # five share one instant
    stories[0].agent_reply()  # moves to the top
    events = [e for s in stories for e in s.events]
    await project(read_model, sorted(events, key=lambda e: e.position))
    ids = await listed(read_model, AGENT)
    assert ids == [stories[0].ticket_id] + [s.ticket_id for s in reversed(stories[1:])]


async def test_paging_with_the_cursor_returns_every_ticket_exactly_once(
    read_model: ReadModel, clock: Clock
) -> None:
    stories = []
    for n in range(23):
        story = Story(clock, tracking_code=f"2000{n:04d}")
        story.opened(seconds=0 if n % 3 else 60)  # runs of equal last_activity_at
        stories.append(story)
    await project(read_model, [e for s in stories for e in s.events])
    views, _ = folded(e for s in stories for e in s.events)
    for page in (1, 4, 7, 23, 50):
        assert await listed(read_model, AGENT, page=page) == expected_list(views.values(), AGENT)


async def test_a_page_after_the_last_ticket_is_empty(read_model: ReadModel, clock: Clock) -> None:
    story = Story(clock)
    story.opened()
    await project(read_model, story.events)
    [view] = await read_model.list(AGENT, Filter(), limit=10, after=None)
    after = Cursor(view.last_activity_at, view.ticket_id)
    assert await read_model.list(AGENT, Filter(), limit=10, after=after) == []


@pytest.fixture
async def helpdesk(read_model: ReadModel, clock: Clock) -> dict[str, Story]:
    """A small brand: tickets in every state the filters tell apart."""
    s = {
        name: Story(clock, tracking_code=f"3000{n:04d}")
        for n, name in enumerate(
            ["new", "viewed", "answered", "read", "closed", "transferred", "other_customer"]
        )
    }
    s["other_customer"].customer_id = "cust-2"
    for story in s.values():
        story.opened()
    s["viewed"].agent_viewed()
    s["answered"].agent_reply(follow_up=True)
    s["read"].agent_reply()
    s["read"].customer_read()
    s["closed"].agent_reply()
    s["closed"].closed()
    s["transferred"].transferred("finance")
    s["transferred"].priority_changed("urgent")
    s["transferred"].assigned("agent-7")
    await project(
        read_model, sorted((e for st in s.values() for e in st.events), key=lambda e: e.position)
    )
    return s


@pytest.mark.parametrize(
    ("scope", "where"),
    [
        (AGENT, Filter(statuses=frozenset({1}))),
        (AGENT, Filter(statuses=frozenset({2, 8}))),
        (AGENT, Filter(unread=True)),
        (AGENT, Filter(unread=False)),
        (CUSTOMER, Filter(unread=True)),
        (CUSTOMER, Filter(unread=False)),
        (AGENT, Filter(department="finance")),
        (AGENT, Filter(priority="urgent")),
        (AGENT, Filter(closed=True)),
        (AGENT, Filter(closed=False)),
        (AGENT, Filter(assignee="agent-7")),
        (AGENT, Filter(department="technical", unread=True, closed=False)),
        (Scope("acme", "agent", departments=frozenset({"finance"})), Filter()),
        (Scope("acme", "customer", customer_ids=frozenset({"cust-1", "cust-2"})), Filter()),
        (Scope("acme", "customer"), Filter()),
    ],
    ids=lambda v: (
        repr(v)
        if isinstance(v, Filter)
        else f"{v.side}:{sorted(v.customer_ids or v.departments or [])}"
    ),
)
async def test_every_filter_selects_exactly_the_matching_tickets(
    read_model: ReadModel, helpdesk: dict[str, Story], scope: Scope, where: Filter
) -> None:
    views, _ = folded(e for story in helpdesk.values() for e in story.events)
    expected = expected_list(views.values(), scope, where)
    assert expected, "a filter that selects nothing proves little"
    assert await listed(read_model, scope, where, page=2) == expected


async def test_unread_true_lists_exactly_the_tickets_the_unread_counter_counts(
    read_model: ReadModel, helpdesk: dict[str, Story]
) -> None:
    for scope in (AGENT, CUSTOMER):
        unread = await listed(read_model, scope, Filter(unread=True))
        assert len(unread) == (await read_model.counters(scope)).unread_tickets


# -- search ------------------------------------------------------------------------------------


@pytest.fixture
async def searchable(read_model: ReadModel, clock: Clock) -> dict[str, Story]:
    sms = Story(clock, tracking_code="14020011")
    sms.opened("خطا در ارسال پیامک انبوه", "پیامک‌های تبليغاتي به ۱۲۰۰ مشترک نرسید")
    sms.internal_note("احتمالاً اپراتور مسدود کرده")
    invoice = Story(clock, tracking_code="14020029", department="finance")
    invoice.opened("فاکتور اسفند صادر نشده", "لطفا فاکتور را ایمیل کنید")
    invoice.agent_reply("فاکتور ارسال شد")
    other_brand = Story(clock, brand_id="globex", tracking_code="14020037")
    other_brand.opened("خطا در ارسال پیامک انبوه", "همان مشکل")
    stories = {"sms": sms, "invoice": invoice, "other_brand": other_brand}
    await project(
        read_model,
        sorted((e for s in stories.values() for e in s.events), key=lambda e: e.position),
    )
    return stories


async def search(read_model: ReadModel, scope: Scope, q: str) -> list[str]:
    return await listed(read_model, scope, Filter(terms=query_terms(q)))


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("پیامک", ["sms"]),
        ("پیام", ["sms"]),  # the start of a word
        ("پیامک‌های", ["sms"]),  # ZWNJ counts as a space: two words, both in the body
        ("پیامکهای", []),  # … so without it this is no word of the body
        ("های", ["sms"]),  # … and its second half is a word of its own
        ("تبلیغاتی", ["sms"]),  # Arabic ي in the text, Persian ی in the query
        ("1200", ["sms"]),  # Persian digits in the text, Latin in the query
        ("۱۲", ["sms"]),
        ("14020029", ["invoice"]),  # the tracking code
        ("۱۴۰۲۰۰", ["invoice", "sms"]),
        ("فاکتور ایمیل", ["invoice"]),  # every word must occur
        ("فاکتور پیامک", []),
        ("ارسال", ["invoice", "sms"]),  # an agent's visible reply is searchable
        ("اپراتور", []),  # internal note: never on the customer side
    ],
)
async def test_customer_side_search_matches_words_and_word_starts_after_normalisation(
    read_model: ReadModel, searchable: dict[str, Story], q: str, found: list[str]
) -> None:
    scope = Scope("acme", "customer")
    names = {s.ticket_id: name for name, s in searchable.items()}
    assert sorted(names[t] for t in await search(read_model, scope, q)) == found


async def test_internal_note_words_are_found_only_from_the_agent_side(
    read_model: ReadModel, searchable: dict[str, Story]
) -> None:
    sms = searchable["sms"].ticket_id
    assert await search(read_model, AGENT, "اپراتو") == [sms]
    assert await search(read_model, AGENT, "اپراتور پیامک") == [sms]
    assert await search(read_model, Scope("acme", "customer"), "اپراتور") == []


async def test_search_never_crosses_brands_or_departments(
    read_model: ReadModel, searchable: dict[str, Story]
) -> None:
    assert await search(read_model, Scope("globex", "agent"), "پیامک") == [
        searchable["other_brand"].ticket_id
    ]
    finance = Scope("acme", "agent", departments=frozenset({"finance"}))
    assert await search(read_model, finance, "ارسال") == [searchable["invoice"].ticket_id]


async def test_a_quote_in_a_search_term_is_taken_literally(
    read_model: ReadModel, searchable: dict[str, Story]
) -> None:
    assert await listed(read_model, AGENT, Filter(terms=('پیامک"',))) == []


# -- counters ----------------------------------------------------------------------------------


async def test_counters_follow_transfers_closes_and_reads_in_every_scope(
    read_model: ReadModel, helpdesk: dict[str, Story]
) -> None:
    views, _ = folded(e for story in helpdesk.values() for e in story.events)
    scopes = [
        AGENT,
        CUSTOMER,
        Scope("acme", "agent", departments=frozenset({"finance"})),
        Scope("acme", "agent", departments=frozenset({"technical"})),
        Scope("acme", "agent", departments=frozenset()),
        Scope("acme", "customer", customer_ids=frozenset({"cust-2"})),
        Scope("acme", "customer"),
        Scope("globex", "agent"),
    ]
    for scope in scopes:
        assert await read_model.counters(scope) == expected_counters(views.values(), scope), scope
    finance = await read_model.counters(scopes[2])
    assert (finance.total, finance.open, finance.unread_tickets) == (1, 1, 1)
