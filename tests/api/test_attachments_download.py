"""GET /v1/attachments/{id}: the bytes for those who may read them, 404 for everyone else."""

from __future__ import annotations

from ticketing_attachments.domain import Caller
from unit.attachments import samples

from .attachment_fixtures import Desk, who

TICKET = "3f1c9a7e5b2d4c6e8a0b1c2d3e4f5a6b"
CUSTOMER = who("customer", "cust-1")
OTHER_CUSTOMER = who("customer", "cust-2")
REPRESENTATIVE = who("representative", "rep-1", customers=["cust-1"])
FINANCE_AGENT = who("agent", "agent-1", departments=["finance"])
TECHNICAL_AGENT = who("agent", "agent-2", departments=["technical"])
ADMIN = who("admin", "admin-1")
OTHER_BRAND_ADMIN = who("admin", "admin-9", brand="globex")


async def open_ticket(desk: Desk, attachment_ids: list[str]) -> None:
    await desk.happen(
        TICKET,
        1,
        "TicketOpened",
        customer_id="cust-1",
        department="finance",
        attachment_ids=attachment_ids,
    )


async def status(desk: Desk, attachment_id: str, caller: dict[str, str]) -> int:
    return (await desk.client.get(f"/v1/attachments/{attachment_id}", headers=caller)).status_code


async def test_the_uploader_downloads_the_bytes_with_safe_headers(attachments_desk: Desk) -> None:
    data = samples.pdf()
    receipt = await attachments_desk.stored(CUSTOMER, data, "فیش واریزی.pdf", "application/pdf")
    response = await attachments_desk.client.get(f"/v1/attachments/{receipt}", headers=CUSTOMER)
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["x-content-type-options"] == "nosniff"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert (
        "filename*=UTF-8''%D9%81%DB%8C%D8%B4%20%D9%88%D8%A7%D8%B1%DB%8C%D8%B2%DB%8C.pdf"
        in disposition
    )


async def test_those_who_see_the_ticket_may_read_its_attachment_and_no_one_else(
    attachments_desk: Desk,
) -> None:
    receipt = await attachments_desk.stored(CUSTOMER, samples.png(), "رسید.png", "image/png")
    assert await status(attachments_desk, receipt, FINANCE_AGENT) == 404  # not referenced yet
    await open_ticket(attachments_desk, [receipt])
    for allowed in (CUSTOMER, REPRESENTATIVE, FINANCE_AGENT, ADMIN):
        assert await status(attachments_desk, receipt, allowed) == 200
    for refused in (OTHER_CUSTOMER, TECHNICAL_AGENT, OTHER_BRAND_ADMIN):
        assert await status(attachments_desk, receipt, refused) == 404


async def test_an_internal_note_attachment_is_404_for_the_customer_side_and_200_for_agents(
    attachments_desk: Desk,
) -> None:
    await open_ticket(attachments_desk, [])
    note = await attachments_desk.stored(
        FINANCE_AGENT, samples.TEXT, "یادداشت داخلی.txt", "text/plain"
    )
    await attachments_desk.happen(
        TICKET,
        2,
        "MessagePosted",
        message_id="m2",
        body="بررسی شد",
        attachment_ids=[note],
        internal=True,
        follow_up=False,
        author_side="agent",
    )
    assert await status(attachments_desk, note, CUSTOMER) == 404
    assert await status(attachments_desk, note, REPRESENTATIVE) == 404
    assert await status(attachments_desk, note, ADMIN) == 200
    assert await status(attachments_desk, note, FINANCE_AGENT) == 200


async def test_events_delivered_twice_change_nothing(attachments_desk: Desk) -> None:
    receipt = await attachments_desk.stored(CUSTOMER, samples.pdf(), "فیش.pdf", "application/pdf")
    await open_ticket(attachments_desk, [receipt])
    await attachments_desk.happen(
        TICKET, 2, "TicketTransferred", from_department="finance", to_department="technical"
    )
    await open_ticket(attachments_desk, [receipt])  # the opening again, redelivered
    assert await status(attachments_desk, receipt, TECHNICAL_AGENT) == 200
    assert await status(attachments_desk, receipt, FINANCE_AGENT) == 404


async def test_unknown_and_malformed_ids_are_404(attachments_desk: Desk) -> None:
    for attachment_id in ("0" * 32, "not-an-id", "..%2F..%2Fetc%2Fpasswd"):
        response = await attachments_desk.client.get(
            f"/v1/attachments/{attachment_id}", headers=ADMIN
        )
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"


async def test_the_command_side_check_and_the_query_side_description(
    attachments_desk: Desk,
) -> None:
    service = attachments_desk.service
    receipt = await attachments_desk.stored(CUSTOMER, samples.pdf(), "فیش.pdf", "application/pdf")
    for caller, allowed in [
        (Caller("cust-1", "customer"), True),
        (Caller("cust-2", "customer"), False),
        (Caller("agent-1", "agent"), False),  # not on a ticket yet: only its uploader reads it
    ]:
        refused = await service.check_usable(
            brand_id="acme", caller=caller, attachment_ids=[receipt]
        )
        assert (refused == []) is allowed, caller
    described = await service.describe("acme", [receipt])
    assert described[receipt]["filename"] == "فیش.pdf"


async def test_the_service_is_ready_while_its_loops_run(attachments_desk: Desk) -> None:
    assert (await attachments_desk.client.get("/readyz")).status_code == 200
