"""Read-your-writes (X-Min-Position), projection metrics, readiness, and the standalone app."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
import pytest
from ticketing_query.bootstrap import build_query_service
from ticketing_query.entrypoints.http import create_app
from ticketing_query.settings import QuerySettings

from .query_fixtures import Embedded, admin, customer


async def test_a_read_at_a_position_not_yet_projected_waits_for_it(embedded: Embedded) -> None:
    desk = embedded.desk
    await embedded.query.stop()  # hold the projector back
    opened = await desk.open(customer(), title="پرداخت ناموفق در درگاه")
    headers = {**customer(), "X-Min-Position": str(opened["position"])}
    waiting = asyncio.create_task(embedded.client.get("/v1/tickets", headers=headers))
    await asyncio.sleep(0.1)
    assert not waiting.done()
    embedded.query.start()
    response = await waiting
    assert response.status_code == 200
    assert [t["ticket_id"] for t in response.json()["items"]] == [opened["ticket_id"]]


async def test_each_write_is_visible_to_a_read_at_its_position(embedded: Embedded) -> None:
    desk = embedded.desk
    tid = (await desk.open(customer()))["ticket_id"]
    for n in range(5):
        written = await desk.reply(customer(), tid, f"پیام شماره {n}")
        headers = {**admin(), "X-Min-Position": str(written["position"])}
        shown = (await embedded.client.get(f"/v1/tickets/{tid}", headers=headers)).json()
        assert shown["version"] == written["version"]
        assert shown["unread_count"] == n + 2


async def test_a_position_never_reached_is_503_with_retry_after(embedded: Embedded) -> None:
    await embedded.desk.open(customer())
    headers = {**customer(), "X-Min-Position": str(embedded.desk.position + 1000)}
    for path in ("/v1/tickets", "/v1/counters", "/v1/tickets/by-tracking-code/12345678"):
        response = await embedded.client.get(path, headers=headers)
        assert response.status_code == 503
        assert response.headers["retry-after"] == "1"
        assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    "value", ["abc", "-1", "1.5", "", "+3", "۱۲".encode(), "99999999999999999999"]
)
async def test_a_min_position_that_is_not_a_non_negative_integer_is_400(
    embedded: Embedded, value: str | bytes
) -> None:
    raw = value if isinstance(value, bytes) else value.encode()
    headers = [(k.encode(), v.encode()) for k, v in customer().items()]
    response = await embedded.client.get(
        "/v1/counters", headers=[*headers, (b"X-Min-Position", raw)]
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_min_position_zero_or_an_applied_one_answers_at_once(embedded: Embedded) -> None:
    for value in ("0", " 0 ", "00"):
        headers = {**customer(), "X-Min-Position": value}
        assert (await embedded.client.get("/v1/counters", headers=headers)).status_code == 200


async def test_an_unauthenticated_read_is_401_before_any_waiting(embedded: Embedded) -> None:
    response = await embedded.client.get("/v1/counters", headers={"X-Min-Position": "999999"})
    assert response.status_code == 401


def metric(text: str, name: str) -> float:
    found = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
    assert found, name
    return float(found.group(1))


async def test_metrics_report_projection_lag_and_events_applied(embedded: Embedded) -> None:
    desk = embedded.desk
    tid = (await desk.open(customer()))["ticket_id"]
    await desk.reply(customer(), tid, "سلام دوباره")
    await desk.json("/v1/counters", customer())  # caught up to the last write
    text = (await embedded.client.get("/metrics")).text
    assert metric(text, "projection_lag_events") == 0
    assert metric(text, "projection_lag_seconds") == 0
    assert metric(text, "projector_events_applied_total") == 2

    await embedded.query.stop()
    await desk.reply(customer(), tid, "هنوز پاسخی نیامده")
    await asyncio.sleep(0.01)
    text = (await embedded.client.get("/metrics")).text
    assert metric(text, "projection_lag_events") >= 1
    assert metric(text, "projection_lag_seconds") > 0


async def test_readiness_needs_the_projector_running(embedded: Embedded) -> None:
    assert (await embedded.client.get("/readyz")).status_code == 200
    await embedded.query.stop()
    response = await embedded.client.get("/readyz")
    assert response.status_code == 503
    embedded.query.start()
    assert (await embedded.client.get("/readyz")).status_code == 200


async def test_the_query_service_also_runs_as_an_app_of_its_own(
    embedded: Embedded, tmp_path: Path
) -> None:
    """Standalone (the distributed mode's shape): its own projector, over the same store."""
    opened = await embedded.desk.open(customer(), title="گزارش ماهانه ارسال نشده")
    settings = QuerySettings(read_model_url="memory://", data_dir=tmp_path)
    service = build_query_service(settings, store=embedded.tickets.store)
    app = create_app(service)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://query.test") as client,
    ):
        headers = {**customer(), "X-Min-Position": str(opened["position"])}
        page = (await client.get("/v1/tickets", headers=headers)).json()
        assert [t["ticket_id"] for t in page["items"]] == [opened["ticket_id"]]
        paths = (await client.get("/openapi.json")).json()["paths"]
        assert "/v1/counters" in paths
        assert "/v1/departments" not in paths
