"""Field rules shared by the ticket's commands. Each check appends FieldErrors, never raises,
so that one response names every bad field."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from .errors import FieldError
from .values import Priority

TITLE_MAX = 200
BODY_MAX = 20_000
REASON_MAX = 1_000
ATTACHMENTS_MAX = 10


# The C0 and C1 controls (Unicode category Cc) have no place in a title or message; a message
# may keep its line breaks and tabs. A regex scans ~50x faster than a per-character lookup.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROLS_BUT_LAYOUT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def clean_text(
    errors: list[FieldError], field: str, value: str, *, max_len: int, multiline: bool
) -> str:
    """Trim `value` and check its length and characters; returns the trimmed text."""
    text = value.strip()
    if not text:
        errors.append(FieldError(field, "must not be empty"))
    elif len(text) > max_len:
        errors.append(FieldError(field, f"must be at most {max_len} characters"))
    if (_CONTROLS_BUT_LAYOUT if multiline else _CONTROLS).search(text):
        errors.append(FieldError(field, "must not contain control characters"))
    return text


def check_choice(
    errors: list[FieldError], field: str, value: str, allowed: Collection[str]
) -> None:
    if value not in allowed:
        errors.append(FieldError(field, f"unknown {field} {value!r}; one of {sorted(allowed)}"))


def parse_priority(errors: list[FieldError], value: str) -> Priority:
    try:
        return Priority(value)
    except ValueError:
        errors.append(
            FieldError(
                "priority", f"unknown priority {value!r}; one of {[p.value for p in Priority]}"
            )
        )
        return Priority.NORMAL


def check_attachments(errors: list[FieldError], attachment_ids: Sequence[str]) -> tuple[str, ...]:
    if len(attachment_ids) > ATTACHMENTS_MAX:
        errors.append(FieldError("attachment_ids", f"at most {ATTACHMENTS_MAX} attachments"))
    if len(set(attachment_ids)) != len(attachment_ids):
        errors.append(FieldError("attachment_ids", "must not repeat an attachment"))
    return tuple(attachment_ids)
