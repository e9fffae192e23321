"""How things read in Persian: digits, Jalali dates, labels and the state colours.

The API sends most of it ready to show (labels, Jalali times); these are the fallbacks for
fields an older API does not send yet, and the panel's own words.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ticketing_model import LABELS, halves_of
from ticketing_web.jalali import jalali as jalali_latin

_TO_PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_TO_LATIN = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")

PRIORITIES: dict[str, str] = {"low": "کم", "normal": "معمولی", "high": "زیاد", "urgent": "فوری"}
ROLES: dict[str, str] = {
    "customer": "مشتری",
    "representative": "نماینده",
    "agent": "کارشناس",
    "admin": "مدیر",
}
#: STATES.md's eight labels verbatim (only for the sidebar; tickets carry their own label), and
#: each code's support-side state: ticketing_model's, the one definition.
STATUS_LABELS: dict[int, str] = dict(LABELS)
STATE_OF_CODE: dict[int, str] = {code: halves_of(code)[0].value for code in LABELS}


def fa_digits(value: object) -> str:
    """Persian digits for numbers and codes; everything else unchanged."""
    return str(value).translate(_TO_PERSIAN)


def latin_digits(text: str) -> str:
    """Persian and Arabic-Indic digits as Latin ones (what a person typed, for the API)."""
    return text.translate(_TO_LATIN)


def jalali(moment: str | datetime | None) -> str:
    """`۱۴۰۴/۰۳/۳۰ ۱۴:۰۵`: an ISO time (or datetime) as a Jalali date and time in Tehran."""
    if moment is None or moment == "":
        return ""
    when = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return fa_digits(jalali_latin(when))


def shown_time(item: dict[str, Any], name: str) -> str:
    """The API's `<name>_jalali` when it sends one, else computed from `<name>`."""
    ready = item.get(f"{name}_jalali")
    if isinstance(ready, str) and ready:
        return fa_digits(ready)
    value = item.get(name)
    try:
        return jalali(value if isinstance(value, str) else None)
    except ValueError:
        return ""


def priority_label(item: dict[str, Any]) -> str:
    ready = item.get("priority_label")
    if isinstance(ready, str) and ready:
        return ready
    return PRIORITIES.get(str(item.get("priority")), str(item.get("priority", "")))


def role_label(role: object) -> str:
    return ROLES.get(str(role), "")


def file_size(size: object) -> str:
    """A size as a person reads it: بایت, کیلوبایت, مگابایت."""
    if not isinstance(size, int):
        return ""
    if size < 1024:
        return f"{fa_digits(size)} بایت"
    if size < 1024 * 1024:
        return f"{fa_digits(round(size / 1024))} کیلوبایت"
    megabytes = f"{size / (1024 * 1024):.1f}".replace(".", "٫")  # the Persian decimal mark
    return f"{fa_digits(megabytes)} مگابایت"
