"""The panel's own limits and failures: a form over the size limit, declared or streamed, is a
Persian 413 page with nothing written; too many files is refused; an unexpected failure is a
Persian page, never a traceback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from ticketing_attachments.settings import AttachmentsSettings
from ticketing_notifications.settings import NotificationsSettings
from ticketing_panel import create_panel_app
from ticketing_panel.settings import PanelSettings
from ticketing_query.settings import QuerySettings
from ticketing_tickets.settings import TicketsSettings
from ticketing_web.settings import verifier_from

from ticketing.embedded import create_embedded_app

from .conftest import BASE, OPENING, PDF, Site, hidden_fields, token

NEW = "/panel/tickets/new"
LIMIT = 64 * 1024


@pytest.fixture
async def small(tmp_path: Path) -> AsyncIterator[Site]:
    """The embedded process with a panel that takes forms of at most 64 KiB."""
    app = create_embedded_app(
        TicketsSettings(data_dir=tmp_path, event_store_url="memory://"),
        QuerySettings(data_dir=tmp_path, read_model_url="memory://"),
        AttachmentsSettings(
            data_dir=tmp_path, attachments_catalog_url="memory://", attachments_blob_dir="memory://"
        ),
        NotificationsSettings(data_dir=tmp_path, notifications_store_url="memory://"),
        PanelSettings(panel_max_request_bytes=LIMIT),
    )
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url=BASE) as api,
    ):
        site = Site(app, transport, api)
        yield site
        for person in site.people:
            await person.client.aclose()


async def _total(site: Site, bearer: dict[str, str]) -> int:
    total: int = (await site.api.get("/v1/counters", headers=bearer)).json()["total"]
    return total


async def test_a_form_declared_over_the_limit_is_a_persian_413_and_nothing_is_written(
    small: Site,
) -> None:
    sara = await small.sign_in("customer", "c-sara")
    big = PDF + b"%" * LIMIT
    answer = await sara.submit(
        NEW, NEW, OPENING, files=[("files", ("بزرگ.pdf", big, "application/pdf"))]
    )
    assert answer.status_code == 413
    assert "حجم" in answer.text
    assert await _total(small, sara.bearer) == 0


async def test_a_streamed_form_over_the_limit_is_stopped_as_it_arrives(small: Site) -> None:
    sara = await small.sign_in("customer", "c-sara")
    hidden = hidden_fields((await sara.get(NEW)).text, NEW)
    boundary = "panel-test-boundary"
    fields = {**hidden, **OPENING}

    async def body() -> AsyncIterator[bytes]:  # no Content-Length: chunked, counted as it comes
        for name, value in fields.items():
            yield (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            ).encode()
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
            f'filename="a.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
        ).encode()
        for _ in range(LIMIT // 1024 + 2):
            yield b"%" * 1024
        yield f"\r\n--{boundary}--\r\n".encode()

    answer = await sara.client.post(
        NEW, content=body(), headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    assert answer.status_code == 413
    assert await _total(small, sara.bearer) == 0


async def test_more_than_ten_files_is_refused_and_nothing_is_written(small: Site) -> None:
    sara = await small.sign_in("customer", "c-sara")
    files = [("files", (f"فیش {i}.pdf", PDF, "application/pdf")) for i in range(11)]
    answer = await sara.submit(NEW, NEW, OPENING, files=files)
    assert answer.status_code == 400
    assert '<html lang="fa" dir="rtl">' in answer.text
    assert await _total(small, sara.bearer) == 0


async def test_an_unexpected_failure_is_a_persian_500_page_without_a_traceback(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ticketing_panel.routes import tickets

    def broken(*_: object, **__: object) -> list[tuple[str, str]]:
        raise RuntimeError("a bug deep in the panel")

    monkeypatch.setattr(tickets, "list_filters", broken)
    sara = await site.sign_in("customer", "c-sara")
    # As a server does: the page is sent, then the error goes on to be logged.
    server = httpx.ASGITransport(app=site.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=server, base_url=BASE, cookies=sara.client.cookies
    ) as browser:
        answer = await browser.get("/panel/tickets")
    assert answer.status_code == 500
    assert "خطایی پیش آمد" in answer.text
    assert "RuntimeError" not in answer.text
    assert "Traceback" not in answer.text


def _panel_over(answer: httpx.Response) -> tuple[FastAPI, FastAPI]:
    """The panel mounted at /panel over an API that gives `answer` to every call."""
    settings = PanelSettings()
    client = httpx.AsyncClient(
        transport=httpx.MockTransport(lambda _: answer), base_url="http://api.test"
    )
    outer = FastAPI()
    panel = create_panel_app(settings, api_client=client, verifier=verifier_from(settings))
    outer.mount("/panel", panel)
    return outer, panel


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_an_api_failure_is_the_persian_try_again_page(status: int) -> None:
    failing = httpx.Response(status, json={"type": "about:blank", "status": status})
    app, _ = _panel_over(failing)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as browser:
        signed = await browser.get("/panel/sso", params={"jwt": token("customer", "c-sara")})
        assert signed.status_code == 303
        page = await browser.get("/panel/tickets")
    assert page.status_code == 503
    assert "سامانه موقتاً در دسترس نیست" in page.text
    assert "about:blank" not in page.text


async def test_a_token_the_api_refuses_ends_the_panel_session() -> None:
    app, panel = _panel_over(httpx.Response(401, json={"status": 401, "detail": "token revoked"}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as browser:
        await browser.get("/panel/sso", params={"jwt": token("customer", "c-sara")})
        first = await browser.get("/panel/tickets")
        assert first.status_code == 401
        assert "وارد شوید" in first.text
        assert len(panel.state.panel.sessions) == 0
        assert (await browser.get("/panel/notifications")).status_code == 401
