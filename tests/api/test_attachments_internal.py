"""The distributed mode's cross-service calls: the tickets service's AttachmentLookup and the
query service's AttachmentCatalog over HTTP, against the real attachments app (its internal
API), and what the end user sees when the attachments service is down or refuses the token."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from ticketing_attachments.bootstrap import AttachmentsService, build_attachments_service
from ticketing_attachments.entrypoints.http import create_app as attachments_app
from ticketing_attachments.settings import AttachmentsSettings
from ticketing_contracts.internal_attachments import CHECK_PATH, DESCRIBE_PATH
from ticketing_eventstore.memory import InMemoryEventStore
from ticketing_feed.memory import InMemoryFeed
from ticketing_query.adapters.attachments_http import HttpAttachmentCatalog
from ticketing_query.application.ports import AttachmentInfo
from ticketing_query.application.ports import AttachmentsUnavailable as QueryUnavailable
from ticketing_query.bootstrap import QueryService, build_query_service
from ticketing_query.entrypoints.http import create_app as query_app
from ticketing_query.settings import QuerySettings
from ticketing_tickets.adapters.attachments_http import HttpAttachmentLookup
from ticketing_tickets.application.ports import AttachmentsUnavailable as TicketsUnavailable
from ticketing_tickets.bootstrap import build_tickets_service
from ticketing_tickets.domain import Actor, FieldError, Role
from ticketing_tickets.entrypoints.http import create_app as tickets_app
from ticketing_tickets.settings import TicketsSettings
from ticketing_web.internal_client import InternalClient
from unit.attachments.samples import event_data

from tests.ports import refusing_port
from tests.typed_events import event_in
from tests.unit.attachments.samples import pdf

from .conftest import NEW_TICKET, Auth

TOKEN = "internal-token-shared-by-the-services-only"
ATTACHMENTS = "http://attachments.test"


@dataclass
class Attachments:
    app: FastAPI
    service: AttachmentsService
    public: httpx.AsyncClient  # end users' side of the app
    feed: InMemoryFeed  # the ticket events its reference consumer reads

    def client(self, token: str = TOKEN) -> InternalClient:
        """An internal client reaching this app in-process."""
        return InternalClient(
            ATTACHMENTS, token, service="attachments", transport=httpx.ASGITransport(self.app)
        )

    async def upload(self, who: dict[str, str], name: str = "فاکتور.pdf") -> str:
        files = {"file": (name, pdf(), "application/pdf")}
        response = await self.public.post("/v1/attachments", files=files, headers=who)
        assert response.status_code == 201, response.text
        attachment_id: str = response.json()["attachment_id"]
        return attachment_id


def _attachments_settings(tmp_path: Path, token: str | None = TOKEN) -> AttachmentsSettings:
    return AttachmentsSettings(
        data_dir=tmp_path,
        attachments_catalog_url="memory://",
        attachments_blob_dir="memory://",
        internal_token=token,
    )


@pytest.fixture
async def attachments(tmp_path: Path) -> AsyncIterator[Attachments]:
    feed = InMemoryFeed()
    service = build_attachments_service(_attachments_settings(tmp_path), feed=feed)
    app = attachments_app(service)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=ATTACHMENTS) as public,
    ):
        yield Attachments(app, service, public, feed)


def unreachable_url() -> str:
    return f"http://127.0.0.1:{refusing_port()}"  # held, never listened on


CUSTOMER = Actor(id="cust-1", role=Role.CUSTOMER)


async def test_the_lookup_lets_a_customer_use_only_its_own_uploads(
    attachments: Attachments, auth: Auth
) -> None:
    mine = await attachments.upload(auth())
    theirs = await attachments.upload(auth(sub="cust-2"))
    lookup = HttpAttachmentLookup(attachments.client())
    try:
        assert await lookup.check(brand_id="acme", actor=CUSTOMER, attachment_ids=[mine]) == []
        refused = await lookup.check(brand_id="acme", actor=CUSTOMER, attachment_ids=[theirs])
        assert refused == [FieldError("attachment_ids", f"unknown attachment {theirs!r}")]
        other_brand = await lookup.check(brand_id="globex", actor=CUSTOMER, attachment_ids=[mine])
        assert [e.field for e in other_brand] == ["attachment_ids"]
    finally:
        await lookup.close()


async def test_the_lookup_lets_an_agent_name_only_attachments_of_tickets_it_may_see(
    attachments: Attachments, auth: Auth
) -> None:
    receipt = await attachments.upload(auth(sub="cust-2"))
    note_file = await attachments.upload(auth(role="agent", sub="agent-tech"))
    technical = "7c0e" * 8
    opened = event_data(
        "TicketOpened",
        ticket_id=technical,
        customer_id="cust-2",
        department="technical",
        attachment_ids=[receipt],
    )
    note = event_data("MessagePosted", attachment_ids=[note_file], internal=True)
    at = datetime.now(UTC)
    attachments.feed.extend(
        [
            event_in(1, "acme", technical, 1, "TicketOpened", at, "cust-2", "customer", opened),
            event_in(2, "acme", technical, 2, "MessagePosted", at, "agent-tech", "agent", note),
        ]
    )
    assert await attachments.service.subscription.wait_for(2, 5)
    finance_agent = Actor(id="agent-fin", role=Role.AGENT, departments=frozenset({"finance"}))
    technical_agent = Actor(id="agent-2", role=Role.AGENT, departments=frozenset({"technical"}))
    lookup = HttpAttachmentLookup(attachments.client())
    try:
        for stolen in (receipt, note_file):
            refused = await lookup.check(
                brand_id="acme", actor=finance_agent, attachment_ids=[stolen]
            )
            assert refused == [FieldError("attachment_ids", f"unknown attachment {stolen!r}")]
            allowed = await lookup.check(
                brand_id="acme", actor=technical_agent, attachment_ids=[stolen]
            )
            assert allowed == []
        customer_2 = Actor(id="cust-2", role=Role.CUSTOMER)
        assert await lookup.check(brand_id="acme", actor=customer_2, attachment_ids=[receipt]) == []
        assert await lookup.check(brand_id="acme", actor=customer_2, attachment_ids=[note_file])
    finally:
        await lookup.close()


async def test_a_check_that_leaves_out_the_callers_departments_is_refused_not_read_as_all(
    attachments: Attachments,
) -> None:
    body = {"brand_id": "acme", "user_id": "agent-1", "role": "agent", "attachment_ids": []}
    response = await attachments.public.post(
        CHECK_PATH, json=body, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code == 422


async def test_the_catalog_describes_known_attachments_and_leaves_out_the_rest(
    attachments: Attachments, auth: Auth
) -> None:
    receipt = await attachments.upload(auth(), name="رسید واریز.pdf")
    catalog = HttpAttachmentCatalog(attachments.client())
    try:
        described = await catalog.describe("acme", [receipt, "f" * 32, "not-an-id", receipt])
        assert described == {
            receipt: AttachmentInfo(receipt, "رسید واریز.pdf", "application/pdf", len(pdf()))
        }
        assert await catalog.describe("globex", [receipt]) == {}
        assert await catalog.describe("acme", []) == {}
    finally:
        await catalog.close()


@pytest.mark.parametrize("path", [CHECK_PATH, DESCRIBE_PATH])
async def test_internal_endpoints_refuse_callers_without_the_internal_token(
    attachments: Attachments, auth: Auth, path: str
) -> None:
    body = {"brand_id": "acme", "attachment_ids": []}
    if path == CHECK_PATH:
        body |= {"user_id": "cust-1", "role": "customer", "departments": None}
    refusals = [
        {},  # no credentials
        auth(),  # an end user's valid token is not the internal token
        auth(role="admin", sub="admin-1"),
        {"Authorization": "Bearer not-the-internal-token"},
        {"Authorization": f"Basic {TOKEN}"},
    ]
    for headers in refusals:
        response = await attachments.public.post(path, json=body, headers=headers)
        assert response.status_code == 401, (headers, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"].startswith("Bearer")
    allowed = await attachments.public.post(
        path, json=body, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert allowed.status_code == 200, allowed.text


async def test_internal_endpoints_are_closed_where_no_internal_token_is_configured(
    tmp_path: Path,
) -> None:
    settings = _attachments_settings(tmp_path, token=None)
    app = attachments_app(build_attachments_service(settings, feed=InMemoryFeed()))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=ATTACHMENTS) as client,
    ):
        response = await client.post(
            DESCRIBE_PATH,
            json={"brand_id": "acme", "attachment_ids": []},
            headers={"Authorization": "Bearer anything"},
        )
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"


async def test_internal_endpoints_are_not_in_the_public_openapi_document(
    attachments: Attachments,
) -> None:
    paths = (await attachments.public.get("/openapi.json")).json()["paths"]
    assert "/v1/attachments" in paths
    assert not [p for p in paths if p.startswith("/internal")]


async def test_an_internal_request_with_unknown_fields_is_a_422_not_a_500(
    attachments: Attachments,
) -> None:
    response = await attachments.public.post(
        DESCRIBE_PATH,
        json={"brand_id": "acme", "attachment_ids": [], "bytes": "…"},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert response.status_code == 422


async def test_the_adapters_say_unavailable_when_the_attachments_service_is_down() -> None:
    def down() -> InternalClient:
        return InternalClient(unreachable_url(), TOKEN, service="attachments", timeout_seconds=1)

    lookup, catalog = HttpAttachmentLookup(down()), HttpAttachmentCatalog(down())
    try:
        with pytest.raises(TicketsUnavailable, match="unreachable"):
            await lookup.check(brand_id="acme", actor=CUSTOMER, attachment_ids=["a" * 32])
        with pytest.raises(QueryUnavailable, match="unreachable"):
            await catalog.describe("acme", ["a" * 32])
        # Nothing to ask, nothing asked: a message without attachments never waits for it.
        assert await lookup.check(brand_id="acme", actor=CUSTOMER, attachment_ids=[]) == []
    finally:
        await lookup.close()
        await catalog.close()


async def test_a_wrong_internal_token_is_unavailable_with_the_reason_not_a_refusal(
    attachments: Attachments, auth: Auth
) -> None:
    mine = await attachments.upload(auth())
    lookup = HttpAttachmentLookup(attachments.client(token="a-token-of-another-deployment"))
    try:
        with pytest.raises(TicketsUnavailable, match="TICKETING_INTERNAL_TOKEN"):
            await lookup.check(brand_id="acme", actor=CUSTOMER, attachment_ids=[mine])
    finally:
        await lookup.close()


def test_an_attachments_url_without_an_internal_token_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="TICKETING_INTERNAL_TOKEN"):
        TicketsSettings(attachments_url="http://127.0.0.1:8003")
    with pytest.raises(ValueError, match="TICKETING_INTERNAL_TOKEN"):
        QuerySettings(attachments_url="http://127.0.0.1:8003")
    with pytest.raises(ValueError, match="at least 32"):
        AttachmentsSettings(mode="production", jwt_secret="s" * 40, internal_token="short")


@dataclass
class Distributed:
    """The tickets and query apps over one store, each asking attachments over HTTP."""

    tickets: httpx.AsyncClient
    query: httpx.AsyncClient
    query_service: QueryService


async def _distributed(
    stack: AsyncExitStack, tmp_path: Path, reach: Callable[[], InternalClient]
) -> Distributed:
    store = InMemoryEventStore()
    lookup, catalog = HttpAttachmentLookup(reach()), HttpAttachmentCatalog(reach())
    stack.push_async_callback(lookup.close)
    stack.push_async_callback(catalog.close)
    tickets = build_tickets_service(
        TicketsSettings(data_dir=tmp_path, event_store_url="memory://"),
        store=store,
        attachments=lookup,
    )
    query = build_query_service(
        QuerySettings(data_dir=tmp_path, read_model_url="memory://"), store=store
    )
    query.attachments = catalog
    clients = []
    for app in (tickets_app(tickets), query_app(query)):
        await stack.enter_async_context(app.router.lifespan_context(app))
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://svc.test")
        clients.append(await stack.enter_async_context(client))
    return Distributed(clients[0], clients[1], query)


def _down() -> InternalClient:
    return InternalClient(unreachable_url(), TOKEN, service="attachments", timeout_seconds=1)


async def test_a_command_naming_attachments_is_a_503_problem_while_the_service_is_down(
    tmp_path: Path, auth: Auth
) -> None:
    async with AsyncExitStack() as stack:
        down = await _distributed(stack, tmp_path, _down)
        ticket = {**NEW_TICKET, "attachment_ids": ["a" * 32]}
        keyed = {**auth(), "Idempotency-Key": "open-1"}
        for _ in range(2):  # a retry with the same key runs again: the 503 is not replayed
            response = await down.tickets.post("/v1/tickets", json=ticket, headers=keyed)
            assert response.status_code == 503, response.text
            assert response.headers["content-type"] == "application/problem+json"
            assert response.headers["retry-after"] == "1"
            assert "attachments" in response.json()["detail"]
        plain = await down.tickets.post("/v1/tickets", json=NEW_TICKET, headers=auth())
        assert plain.status_code == 201


async def test_the_detail_of_a_ticket_with_attachments_is_a_503_problem_while_it_is_down(
    attachments: Attachments, tmp_path: Path, auth: Auth
) -> None:
    receipt = await attachments.upload(auth())
    async with AsyncExitStack() as stack:
        up = await _distributed(stack, tmp_path, attachments.client)
        opened = await up.tickets.post(
            "/v1/tickets", json={**NEW_TICKET, "attachment_ids": [receipt]}, headers=auth()
        )
        assert opened.status_code == 201, opened.text
        ticket = opened.json()
        read = {**auth(), "X-Min-Position": str(ticket["position"])}
        detail = await up.query.get(f"/v1/tickets/{ticket['ticket_id']}", headers=read)
        assert detail.status_code == 200, detail.text
        [shown] = detail.json()["messages"][0]["attachments"]
        assert shown["filename"] == "فاکتور.pdf"

        # The same ticket, read while the attachments service is gone.
        gone_catalog = HttpAttachmentCatalog(_down())
        stack.push_async_callback(gone_catalog.close)
        up.query_service.attachments = gone_catalog
        gone = await up.query.get(f"/v1/tickets/{ticket['ticket_id']}", headers=read)
        assert gone.status_code == 503
        assert gone.headers["content-type"] == "application/problem+json"
        listed = await up.query.get("/v1/tickets", headers=read)  # lists need no attachments
        assert listed.status_code == 200


async def test_the_bootstraps_ask_over_http_when_an_attachments_url_is_set(
    tmp_path: Path,
) -> None:
    url = unreachable_url()
    tickets = build_tickets_service(
        TicketsSettings(
            data_dir=tmp_path,
            event_store_url="memory://",
            attachments_url=url,
            internal_token=TOKEN,
        )
    )
    query = build_query_service(
        QuerySettings(
            data_dir=tmp_path,
            event_store_url="memory://",
            read_model_url="memory://",
            attachments_url=url,
            internal_token=TOKEN,
        )
    )
    try:
        assert isinstance(tickets.attachments_client, HttpAttachmentLookup)
        assert isinstance(query.attachments, HttpAttachmentCatalog)
        with pytest.raises(TicketsUnavailable):
            await tickets.attachments_client.check(
                brand_id="acme", actor=CUSTOMER, attachment_ids=["a" * 32]
            )
    finally:
        await tickets.close()
        await query.close()
