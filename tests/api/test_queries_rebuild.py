"""`ticketing rebuild`: the read model made again from the history gives the same answers."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

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
