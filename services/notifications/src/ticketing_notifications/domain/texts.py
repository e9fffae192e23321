"""The Persian wording of every notification kind (in-app, email subject and body, SMS)."""

from __future__ import annotations

#: kind -> the in-app line; `{code}` is the tracking code, `{department}` the department code.
IN_APP: dict[str, str] = {
    "ticket_opened": "تیکت تازه با کد پیگیری {code} در انتظار پاسخ است.",
    "customer_replied": "مشتری به تیکت {code} پاسخ داد.",
    "ticket_opened_for_you": "پشتیبانی برای شما تیکتی با کد پیگیری {code} باز کرد.",
    "agent_replied": "پشتیبانی به تیکت {code} پاسخ داد.",
    "ticket_closed": "تیکت {code} بسته شد.",
    "ticket_reopened": "تیکت {code} دوباره باز شد.",
    "ticket_transferred": "تیکت {code} به واحد دیگری ارجاع شد.",
}

#: kind -> the email subject (only kinds that may go out by email or SMS).
SUBJECT: dict[str, str] = {
    "ticket_opened_for_you": "تیکت تازه برای شما — کد پیگیری {code}",
    "agent_replied": "پاسخ تازه به تیکت {code}",
}


def in_app_text(kind: str, *, code: str) -> str:
    """The in-app line of `kind` for the ticket with tracking code `code`."""
    return IN_APP.get(kind, "تیکت {code} به‌روز شد.").format(code=code)


def subject_text(kind: str, *, code: str) -> str:
    return SUBJECT.get(kind, "تیکت {code}").format(code=code)
