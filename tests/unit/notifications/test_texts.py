"""The Persian texts of notifications and of their emails and SMS."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from ticketing_notifications.application.ports import Job
from ticketing_notifications.application.render import Renderer
from ticketing_notifications.domain.texts import IN_APP, in_app_text

TITLE = "درخواست پیش فاکتور"


@pytest.mark.parametrize("kind", sorted(IN_APP))
def test_every_text_names_the_title_and_the_tracking_code(kind: str) -> None:
    text = in_app_text(kind, code="87831491", title=TITLE, department="امور مالی")
    assert f"«\u2068{TITLE}\u2069»" in text
    assert "87831491" in text
    assert "{" not in text


def test_a_title_with_a_bidi_override_stays_inside_its_isolate() -> None:
    text = in_app_text("agent_replied", code="87831491", title="\u202eفاکتور")
    start, end = text.index("\u2068"), text.index("\u2069")
    assert start < text.index("\u202e") < end


def _job(title: str) -> Job:
    at = datetime(2025, 6, 20, 10, 37, tzinfo=UTC)
    return Job(
        event_id="acme/t/2", channel="sms", recipient="cust-1", address="+989121234567",
        brand_id="acme", ticket_id="a" * 32, tracking_code="87831491", kind="agent_replied",
        occurred_at=at, title=title,
    )  # fmt: skip


def test_an_sms_names_the_ticket_and_links_to_it_in_the_panel() -> None:
    sent = Renderer("https://support.example.ir/")(_job(TITLE))
    assert sent.text.splitlines() == [
        f"پشتیبانی به تیکت «\u2068{TITLE}\u2069» (کد پیگیری 87831491) پاسخ داد.",
        "1404/03/30 14:07",
        f"https://support.example.ir/panel/tickets/{'a' * 32}",
    ]


def test_a_job_queued_before_titles_were_kept_names_the_ticket_by_its_code() -> None:
    sent = Renderer("https://support.example.ir")(_job(""))
    assert sent.text.splitlines()[0] == "پشتیبانی به تیکت 87831491 پاسخ داد."
