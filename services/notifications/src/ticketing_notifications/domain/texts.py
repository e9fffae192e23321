"""The Persian wording of every notification kind (in-app, email subject and body, SMS).

Every text names the ticket by its title and tracking code; those to a department also name
the department by its label. The title is a person's words: it is set between first-strong
isolates (U+2068 … U+2069), so a title in another direction, or one carrying bidi controls,
cannot reorder the sentence around it wherever the text is shown.
"""

from __future__ import annotations

#: kind -> the in-app line: `{ticket}` is «title» (کد پیگیری code), `{department}` the label.
IN_APP: dict[str, str] = {
    "ticket_opened": "تیکت تازه‌ی {ticket} در بخش {department} در انتظار پاسخ است.",
    "customer_replied": "مشتری به تیکت {ticket} در بخش {department} پاسخ داد.",
    "ticket_opened_for_you": "پشتیبانی برای شما تیکت {ticket} را باز کرد.",
    "agent_replied": "پشتیبانی به تیکت {ticket} پاسخ داد.",
    "ticket_under_review": "تیکت {ticket} ملاحظه شد و در حال بررسی است.",
    "ticket_closed": "تیکت {ticket} بسته شد.",
    "ticket_reopened": "تیکت {ticket} دوباره باز شد.",
    "ticket_transferred": "تیکت {ticket} به بخش دیگری ارجاع شد.",
}

#: kind -> the email subject (only kinds that may go out by email or SMS).
SUBJECT: dict[str, str] = {
    "ticket_opened_for_you": "تیکت تازه برای شما: {ticket}",
    "agent_replied": "پاسخ تازه به تیکت {ticket}",
}


def ticket_words(*, code: str, title: str) -> str:
    """How a text names a ticket: «title» (کد پیگیری code), the title isolated; by its code
    alone when no title is known (an email queued before titles were kept)."""
    if not title:
        return code
    return f"«\u2068{title}\u2069» (کد پیگیری {code})"


def in_app_text(kind: str, *, code: str, title: str, department: str = "") -> str:
    """The in-app line of `kind` for the ticket `title` with tracking code `code`; `department`
    is the department's label (texts to a department name it)."""
    template = IN_APP.get(kind, "تیکت {ticket} به‌روز شد.")
    return template.format(ticket=ticket_words(code=code, title=title), department=department)


def subject_text(kind: str, *, code: str, title: str) -> str:
    template = SUBJECT.get(kind, "تیکت {ticket}")
    return template.format(ticket=ticket_words(code=code, title=title))
