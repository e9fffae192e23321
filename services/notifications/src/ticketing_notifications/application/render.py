"""Email and SMS texts: Persian, right to left, with the ticket's title and tracking code, the
Jalali date (Tehran time) and a link that opens the ticket in the panel."""

from __future__ import annotations

from html import escape

from ticketing_web.jalali import jalali

from ticketing_notifications.domain.texts import in_app_text, subject_text

from .ports import Job, OutgoingMessage

__all__ = ["Renderer", "jalali"]


class Renderer:
    """Turns an outbox job into the message its channel sends; links open the ticket in the
    panel served at `panel_base_url` (`{panel_base_url}/panel/tickets/{ticket_id}`)."""

    def __init__(self, panel_base_url: str) -> None:
        self._base_url = panel_base_url.rstrip("/")

    def link(self, job: Job) -> str:
        return f"{self._base_url}/panel/tickets/{job.ticket_id}"

    def __call__(self, job: Job) -> OutgoingMessage:
        line = in_app_text(job.kind, code=job.tracking_code, title=job.title)
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
        subject = subject_text(
            job.kind, code=job.tracking_code, title=job.title or job.tracking_code
        )
        return OutgoingMessage(job.address, subject, text, html)
