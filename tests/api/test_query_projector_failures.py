"""A projector whose read model refuses writes (a full disk): the service says so — `/readyz`
503, `projector_failures_in_a_row` on `/metrics`, `projector_failed` in the log — restarts by
itself, and once the read model takes writes again a read of the write answers, nothing lost."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from structlog.testing import capture_logs
from ticketing_query.adapters.readmodel_memory import InMemoryReadModel
from ticketing_query.application.ports import ProjectionBatch
from ticketing_query.bootstrap import build_query_service
from ticketing_query.settings import QuerySettings
from ticketing_tickets.bootstrap import build_tickets_service
from ticketing_tickets.settings import TicketsSettings

from ticketing.embedded import compose

from .query_fixtures import Desk, customer
from .test_queries_consistency import metric


class FullDisk(InMemoryReadModel):
    """The in-memory read model, refusing every write while `full`."""

    full = True

    async def apply(self, batch: ProjectionBatch) -> None:
        if self.full:
            raise OSError(28, "No space left on device")
        await super().apply(batch)


async def _readiness(client: httpx.AsyncClient) -> int:
    return (await client.get("/readyz")).status_code


async def test_a_failing_projector_makes_the_service_unready_until_it_applies_again(
    tmp_path: Path,
) -> None:
    tickets = build_tickets_service(TicketsSettings(event_store_url="memory://", data_dir=tmp_path))
    read_model = FullDisk()
    settings = QuerySettings(
        read_model_url="memory://", data_dir=tmp_path, min_position_wait_seconds=5
    )
    query = build_query_service(settings, store=tickets.store, read_model=read_model)
    app = compose(tickets, query)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://ticketing.test") as client,
    ):
        assert await _readiness(client) == 200
        with capture_logs() as logs:
            opened = await Desk(client).open(customer(), title="فاکتور اسفند صادر نشده")
            async with asyncio.timeout(2):
                while await _readiness(client) != 503:  # noqa: ASYNC110 - polling over HTTP
                    await asyncio.sleep(0.01)
            scraped = (await client.get("/metrics")).text
            assert metric(scraped, "projector_failures_in_a_row") >= 1
            assert metric(scraped, "projection_lag_events") >= 1

            read_model.full = False  # space freed: the next restart applies the opening
            at = {**customer(), "X-Min-Position": str(opened["position"])}
            page = await client.get("/v1/tickets", headers=at)
        assert page.status_code == 200, page.text
        assert [t["ticket_id"] for t in page.json()["items"]] == [opened["ticket_id"]]
        assert await _readiness(client) == 200
        scraped = (await client.get("/metrics")).text
        assert metric(scraped, "projector_failures_in_a_row") == 0
        assert metric(scraped, "projector_batches_applied_total") >= 1
    failed = [entry for entry in logs if entry["event"] == "projector_failed"]
    assert failed
    assert failed[0]["restart_in_seconds"] == 1.0
