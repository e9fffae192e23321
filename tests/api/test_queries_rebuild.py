"""`ticketing rebuild`: the read model made again from the history gives the same answers."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from ticketing_contracts.stored import envelope_metadata
from ticketing_contracts.tracking_code import make_tracking_code
from ticketing_eventstore import open_event_store
from ticketing_eventstore.ports import NO_STREAM, NewEvent

from ticketing.cli import main
from ticketing.embedded import create_embedded_app

from .query_fixtures import Desk, admin, agent, customer


async def in_embedded_app(work: Any) -> Any:
    app = create_embedded_app()
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://ticketing.test") as client,
    ):
        return await work(Desk(client))


async def write_history(desk: Desk) -> Any:
    tid = (await desk.open(customer(), title="تمدید گواهی امنیتی"))["ticket_id"]
    await desk.read(agent(), tid)
    await desk.reply(agent(), tid, "گواهی تمدید شد.", follow_up=True)
    await desk.open(customer("cust-2"), title="درخواست بازگشت وجه", department="refunds")
    return desk.position, await desk.json("/v1/counters", admin()), await desk.listed(admin())


def test_rebuilding_the_read_model_gives_the_same_lists_and_counters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TICKETING_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TICKETING_LOG_LEVEL", "WARNING")
    written, counters, listed = asyncio.run(in_embedded_app(write_history))
    (tmp_path / "query.db").write_bytes(b"")  # lose the read model

    assert main(["rebuild"]) == 0
    assert "rebuild:" in capsys.readouterr().err

    async def read_again(desk: Desk) -> Any:
        # Read at once at the last position written: the restarted projector has nothing new
        # to apply, and its checkpoint alone must release the wait.
        desk.position = written
        answers = await desk.json("/v1/counters", admin()), await desk.listed(admin())
        metrics = (await desk.client.get("/metrics")).text
        assert "\nprojection_lag_events 0.0\n" in metrics  # known from the checkpoint alone
        return answers

    assert asyncio.run(in_embedded_app(read_again)) == (counters, listed)


TICKET = "5e1c0a7d9b2f4c6e8a1d3f5b7c9e0a2d"
OPENED_AT = datetime(2025, 6, 20, 10, 35, tzinfo=UTC)  # 1404/03/30 14:05 in Tehran


def _v1(event_type: str, data: dict[str, Any], actor: tuple[str, str], minute: int) -> NewEvent:
    """An event exactly as the code before names wrote it: schema version 1, no name in data."""
    return NewEvent(
        event_id=str(uuid.uuid4()),
        event_type=event_type,
        data=data,
        metadata=envelope_metadata(
            schema_version=1,
            occurred_at=OPENED_AT + timedelta(minutes=minute),
            brand_id="acme",
            actor_id=actor[0],
            actor_role=actor[1],
            correlation_id=f"req-{minute}",
            causation_id=None,
        ),
    )


async def _write_v1_history(path: Path) -> None:
    store = open_event_store(f"sqlite:///{path}")
    customer_1, agent_1 = ("cust-1", "customer"), ("agent-1", "agent")
    try:
        await store.append(
            f"ticket-acme-{TICKET}",
            [
                _v1(
                    "TicketOpened",
                    {
                        "ticket_id": TICKET,
                        "tracking_code": make_tracking_code("4071932"),
                        "customer_id": "cust-1",
                        "title": "خطا در ارسال پیامک انبوه",
                        "department": "technical",
                        "request_type": "technical",
                        "priority": "urgent",
                        "message_id": "m1",
                        "body": "از صبح پیامک‌ها ارسال نمی‌شوند.",
                        "attachment_ids": [],
                        "opened_by_side": "customer",
                    },
                    customer_1,
                    0,
                ),
                _v1(
                    "MessagePosted",
                    {
                        "message_id": "m2",
                        "body": "مشکل از اپراتور بود و رفع شد.",
                        "attachment_ids": [],
                        "internal": False,
                        "follow_up": False,
                        "author_side": "agent",
                    },
                    agent_1,
                    5,
                ),
                _v1("TicketClosed", {"reason": "رفع شد"}, agent_1, 6),
            ],
            expected_version=NO_STREAM,
        )
    finally:
        await store.close()


def test_a_rebuild_from_history_written_before_names_shows_them_as_null(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETING_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TICKETING_LOG_LEVEL", "WARNING")
    asyncio.run(_write_v1_history(tmp_path / "events.db"))
    assert main(["rebuild"]) == 0

    async def read(desk: Desk) -> Any:
        desk.position = 3
        return await desk.ticket(admin(), TICKET), await desk.listed(customer())

    detail, listed = asyncio.run(in_embedded_app(read))
    assert [(m["author_id"], m["author_name"]) for m in detail["messages"]] == [
        ("cust-1", None),
        ("agent-1", None),
    ]
    assert detail["messages"][0]["created_at_jalali"] == "1404/03/30 14:05"
    closing = {k: detail[k] for k in ("closed", "closed_by", "close_reason", "closed_at_jalali")}
    assert closing == {
        "closed": True,
        "closed_by": {"id": "agent-1", "role": "agent", "name": None},
        "close_reason": "رفع شد",
        "closed_at_jalali": "1404/03/30 14:11",
    }
    assert (detail["department_label"], detail["priority_label"]) == ("پشتیبانی فنی", "فوری")
    [item] = listed
    assert {k: item[k] for k in closing} == closing
    assert item["last_activity_at_jalali"] == "1404/03/30 14:11"
