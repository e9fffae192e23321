"""A query API replica (TICKETING_QUERY_PROJECTOR=false): it serves the read model another
query process projects, never writes it, and keeps X-Min-Position and readiness meaningful by
following the read model's checkpoint."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from ticketing_query.bootstrap import QueryService, build_query_service
from ticketing_query.entrypoints.http import create_app as query_app
from ticketing_query.settings import QuerySettings
from ticketing_tickets.bootstrap import build_tickets_service
from ticketing_tickets.entrypoints.http import create_app as tickets_app
from ticketing_tickets.settings import TicketsSettings

from .query_fixtures import OPENING, customer


class Deployment:
    """A tickets app, a projecting query app and a replica, over one store and one read model."""

    def __init__(self, stack: AsyncExitStack, tmp_path: Path) -> None:
        self.stack = stack
        events = f"sqlite:///{tmp_path / 'events.db'}"
        self.query_settings = {
            "data_dir": tmp_path,
            "event_store_url": events,
            "read_model_url": f"sqlite:///{tmp_path / 'query.db'}",
            "min_position_wait_seconds": 1.0,
        }
        self.tickets_settings = TicketsSettings(data_dir=tmp_path, event_store_url=events)

    async def serve(self, app: FastAPI) -> httpx.AsyncClient:
        await self.stack.enter_async_context(app.router.lifespan_context(app))
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://q.test")
        return await self.stack.enter_async_context(client)

    def query(self, *, projector: bool) -> QueryService:
        settings = QuerySettings(**self.query_settings, query_projector=projector)  # type: ignore[arg-type]
        return build_query_service(settings)


@pytest.fixture
async def deployment(tmp_path: Path) -> AsyncIterator[Deployment]:
    async with AsyncExitStack() as stack:
        yield Deployment(stack, tmp_path)


async def test_a_replica_reads_its_writes_once_the_projector_has_applied_them(
    deployment: Deployment,
) -> None:
    tickets = await deployment.serve(
        tickets_app(build_tickets_service(deployment.tickets_settings))
    )
    projector = deployment.query(projector=True)
    replica = deployment.query(projector=False)
    await deployment.serve(query_app(projector))
    reader = await deployment.serve(query_app(replica))

    assert (await reader.get("/readyz")).status_code == 200
    opened = (await tickets.post("/v1/tickets", json=OPENING, headers=customer())).json()
    at = {**customer(), "X-Min-Position": str(opened["position"])}
    detail = await reader.get(f"/v1/tickets/{opened['ticket_id']}", headers=at)
    assert detail.status_code == 200, detail.text
    assert detail.json()["title"] == OPENING["title"]
    assert (await reader.get("/v1/counters", headers=at)).json()["total"] == 1


async def test_a_replica_answers_503_for_a_position_nobody_has_projected(
    deployment: Deployment,
) -> None:
    tickets = await deployment.serve(
        tickets_app(build_tickets_service(deployment.tickets_settings))
    )
    replica = deployment.query(projector=False)
    reader = await deployment.serve(query_app(replica))
    opened = (await tickets.post("/v1/tickets", json=OPENING, headers=customer())).json()

    at = {**customer(), "X-Min-Position": str(opened["position"])}
    response = await reader.get("/v1/tickets", headers=at)
    assert response.status_code == 503  # it never projects by itself
    assert response.headers["retry-after"] == "1"
    assert await replica.read_model.checkpoint() == 0
