"""Email through a real SMTP server (aiosmtpd) and SMS through a local HTTP gateway; every event
delivered twice sends once; a failing gateway retries, then dead-letters."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from ticketing_feed import FeedBatch
from ticketing_notifications.adapters.email_smtp import SmtpEmail
from ticketing_notifications.adapters.sms_http import HttpSms
from ticketing_notifications.application.ports import Preferences
from ticketing_notifications.bootstrap import build_notifications_service
from ticketing_notifications.settings import NotificationsSettings
from unit.notifications.events import PushFeed

from tests.ports import started_on_a_free_port

from .notification_fixtures import Story


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()

    def start(port: int) -> Controller:  # aiosmtpd binds its port itself
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        controller.start()
        return controller

    controller = started_on_a_free_port(start)
    yield inbox, controller.port
    controller.stop()


class Gateway:
    """A local SMS gateway that answers `status` (500 until `failures` run out)."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.bodies: list[dict[str, Any]] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                body = json.loads(self.rfile.read(length))
                if gateway.failures > 0:
                    gateway.failures -= 1
                    self.send_response(500)
                else:
                    gateway.bodies.append(body)
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    made = Gateway()
    yield made
    made.stop()


WANTS_BOTH = Preferences(
    email=True, sms=True, email_address="sara.ahmadi@example.ir", phone="+989121234567"
)


def _service(tmp_path: Path, channels: dict[str, Any], **settings: Any) -> Any:
    config = NotificationsSettings(
        data_dir=tmp_path,
        notifications_store_url=f"sqlite:///{tmp_path / 'n.db'}",
        panel_base_url="https://support.example.ir",
        **settings,
    )
    return build_notifications_service(config, feed=PushFeed(), channels=channels)


async def test_an_agent_reply_is_emailed_and_texted_once_though_delivered_twice(
    tmp_path: Path, smtp: tuple[Inbox, int], gateway: Gateway
) -> None:
    inbox, port = smtp
    email = SmtpEmail(host="127.0.0.1", port=port, sender="support@example.ir", start_tls=False)
    sms = HttpSms(url=gateway.url)
    service = _service(tmp_path, {"email": email, "sms": sms})
    await service.store.save_preferences("acme", "cust-1", WANTS_BOTH)
    story = Story()
    events = [story.opened(), story.message(by="agent")]
    for _ in range(2):
        for event in events:
            await service.consumer.apply(FeedBatch([event, event], event.position))
        await service.sender.run_once()
    await sms.close()
    await service.close()

    [mail] = inbox.messages
    assert mail["To"] == "sara.ahmadi@example.ir"
    assert "87831491" in str(mail["Subject"])
    assert "درخواست پیش فاکتور" in str(mail["Subject"])  # the ticket's title
    html = mail.get_body(("html",))
    text = mail.get_body(("plain",))
    assert html is not None
    assert text is not None
    html_content = html.get_content()
    assert 'dir="rtl"' in html_content
    assert "87831491" in html_content
    assert f"https://support.example.ir/panel/tickets/{'a' * 32}" in html_content
    assert "1404/03/30" in text.get_content()  # 2025-06-20, Tehran time, in the Jalali calendar
    assert "پاسخ" in text.get_content()
    [texted] = gateway.bodies
    assert texted["to"] == "+989121234567"
    assert "87831491" in texted["text"]
    assert "درخواست پیش فاکتور" in texted["text"]
    assert texted["text"].endswith(f"https://support.example.ir/panel/tickets/{'a' * 32}")


async def test_a_failing_gateway_is_retried_then_dead_lettered(tmp_path: Path) -> None:
    failing = Gateway(failures=99)
    sms = HttpSms(url=failing.url)
    service = _service(tmp_path, {"sms": sms}, send_max_attempts=3, send_backoff_seconds=0.01)
    await service.store.save_preferences(
        "acme", "cust-1", Preferences(sms=True, phone="+989121234567")
    )
    story = Story()
    await service.consumer.apply(FeedBatch([story.opened(by="agent")], 1))
    for _ in range(3):
        await service.sender.run_once()
        await asyncio.sleep(0.05)
    [dead] = await service.store.dead_letters("acme", limit=5)
    assert dead.job.attempts == 3
    assert "500" in dead.reason
    assert failing.failures == 96
    await sms.close()
    await service.close()
    failing.stop()


async def test_the_embedded_defaults_write_eml_files_and_an_sms_log(tmp_path: Path) -> None:
    config = NotificationsSettings(
        data_dir=tmp_path, notifications_store_url=f"sqlite:///{tmp_path / 'n.db'}"
    )
    service = build_notifications_service(config, feed=PushFeed())
    await service.store.save_preferences("acme", "cust-1", WANTS_BOTH)
    await service.consumer.apply(FeedBatch([Story().opened(by="agent")], 1))
    await service.sender.run_once()
    await service.close()
    [eml] = list((tmp_path / "outbox").glob("*.eml"))
    mail = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert 'dir="rtl"' in mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    [line] = (tmp_path / "sms.log").read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["to"] == "+989121234567"
