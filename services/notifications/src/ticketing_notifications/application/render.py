"""Email and SMS texts: Persian, right to left, with the tracking code, the Jalali date (Tehran
time) and a link to the ticket."""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

import jdatetime  # type: ignore[import-untyped]  # ships no type hints

from ticketing_notifications.domain.texts import in_app_text, subject_text

from .ports import Job, OutgoingMessage

TEHRAN = ZoneInfo("Asia/Tehran")


def jalali(moment: datetime) -> str:
    """`1404/03/30 14:05`: the Jalali date and time of `moment` (aware) in Tehran."""
    local = moment.astimezone(TEHRAN)
    return str(jdatetime.datetime.fromgregorian(datetime=local).strftime("%Y/%m/%d %H:%M"))


class Renderer:
    """Turns an outbox job into the message its channel sends; links start at `base_url`."""

    def __init__(self, base_url: str) -> None:
        self._base_url = base_url.rstrip("/")

    def link(self, job: Job) -> str:
        return f"{self._base_url}/tickets/{job.ticket_id}"

    def __call__(self, job: Job) -> OutgoingMessage:
        line = in_app_text(job.kind, code=job.tracking_code)
        when = jalali(job.occurred_at)
        link = self.link(job)
        if job.channel == "sms":
            return OutgoingMessage(job.address, "", f"{line}\n{when}\n{link}")
        text = f"{line}\n\nکد پیگیری: {job.tracking_code}\nتاریخ: {when}\nمشاهده‌ی تیکت: {link}\n"
        html = (
            '<!DOCTYPE html>\n<html lang="fa" dir="rtl">\n<head><meta charset="utf-8"></head>\n'
            '<body dir="rtl" style="direction: rtl; text-align: right;">\n'
            f"<p>{escape(line)}</p>\n"
            f"<p>کد پیگیری: <strong>{escape(job.tracking_code)}</strong></p>\n"
            f"<p>تاریخ: {escape(when)}</p>\n"
            f'<p><a href="{escape(link, quote=True)}">مشاهده‌ی تیکت</a></p>\n'
            "</body>\n</html>\n"
        )
        subject = subject_text(job.kind, code=job.tracking_code)
        return OutgoingMessage(job.address, subject, text, html)
