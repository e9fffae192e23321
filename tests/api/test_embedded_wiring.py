"""The embedded process as `make run` builds it: every service in one app, wired by ports.

One story across services: a customer uploads a receipt, opens a ticket with it, the agent sees
and downloads it, replies, and the customer is notified.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from ticketing_attachments.settings import AttachmentsSettings
from ticketing_notifications.settings import NotificationsSettings
from ticketing_query.settings import QuerySettings
from ticketing_tickets.settings import TicketsSettings

from ticketing.embedded import create_embedded_app

from .conftest import NEW_TICKET, Auth

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
AGENT = {"role": "agent", "sub": "agent-1", "departments": ["refunds"]}


@pytest.fixture
async def app_client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_embedded_app(
        TicketsSettings(data_dir=tmp_path),
        QuerySettings(data_dir=tmp_path),
        AttachmentsSettings(data_dir=tmp_path),
        NotificationsSettings(data_dir=tmp_path),
    )
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://ticketing.test") as client,
    ):
        yield client


async def upload(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    files = {"file": ("فیش واریزی.pdf", PDF, "application/pdf")}
    response = await client.post("/v1/attachments", files=files, headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_receipt_travels_from_upload_to_the_agent_and_the_reply_notifies_the_customer(
    app_client: httpx.AsyncClient, auth: Auth
) -> None:
    customer, agent = auth(), auth(**AGENT)
    receipt = await upload(app_client, customer)
    opened = await app_client.post(
        "/v1/tickets",
        json={**NEW_TICKET, "department": "refunds", "attachment_ids": [receipt["attachment_id"]]},
        headers=customer,
    )
    assert opened.status_code == 201, opened.text
    ticket = opened.json()

    detail = await app_client.get(
        f"/v1/tickets/{ticket['ticket_id']}",
        headers={**agent, "X-Min-Position": str(ticket["position"])},
    )
    [shown] = detail.json()["messages"][0]["attachments"]
    assert shown == {
        "attachment_id": receipt["attachment_id"],
        "filename": "فیش واریزی.pdf",
        "content_type": "application/pdf",
        "size": len(PDF),
    }

    async def agent_download() -> httpx.Response:
        return await app_client.get(f"/v1/attachments/{receipt['attachment_id']}", headers=agent)

    # The attachments service learns the reference from the same event history.
    for _ in range(50):
        downloaded = await agent_download()
        if downloaded.status_code == 200:
            break
        await asyncio.sleep(0.05)
    assert downloaded.status_code == 200
    assert downloaded.content == PDF
    stranger = await app_client.get(
        f"/v1/attachments/{receipt['attachment_id']}", headers=auth(sub="cust-2")
    )
    assert stranger.status_code == 404

    reply = await app_client.post(
        f"/v1/tickets/{ticket['ticket_id']}/messages",
        json={"body": "مبلغ تا سه روز کاری بازگردانده می‌شود."},
        headers=agent,
    )
    assert reply.status_code == 201
    for _ in range(50):
        notes = (await app_client.get("/v1/notifications", headers=customer)).json()["items"]
        if notes:
            break
        await asyncio.sleep(0.05)
    assert [n["ticket_id"] for n in notes] == [ticket["ticket_id"]]
    assert notes[0]["tracking_code"] == ticket["tracking_code"]


async def test_another_customers_upload_cannot_be_put_on_a_ticket(
    app_client: httpx.AsyncClient, auth: Auth
) -> None:
    theirs = await upload(app_client, auth(sub="cust-2"))
    response = await app_client.post(
        "/v1/tickets",
        json={**NEW_TICKET, "attachment_ids": [theirs["attachment_id"]]},
        headers=auth(),
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["attachment_ids"]


async def test_an_upload_is_not_held_to_the_json_body_limit(
    app_client: httpx.AsyncClient, auth: Auth
) -> None:
    big_pdf = PDF + b"%" + b"0" * (2 * 1024 * 1024)  # 2 MiB: over 1 MiB, under 10 MiB
    files = {"file": ("scan.pdf", big_pdf, "application/pdf")}
    response = await app_client.post("/v1/attachments", files=files, headers=auth())
    assert response.status_code == 201, response.text
    assert response.json()["size"] == len(big_pdf)
