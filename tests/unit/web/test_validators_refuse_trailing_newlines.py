"""No validator of an identifier, code, cursor, key or claim accepts a value with a trailing
newline or a NUL. Python's `$` matches before a final newline, so `re.match("^…$")` took
`"acme\\n"` for a brand (an attack run: GET 200 with nothing, POST 500); every validator here
uses `fullmatch` (pydantic's `pattern=` runs on the Rust regex engine, where `$` is the end)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import pytest
from fastapi import HTTPException
from hypothesis import given
from hypothesis import strategies as st
from pydantic import Field, TypeAdapter, ValidationError
from ticketing_attachments.application.ports import check_blob_key
from ticketing_contracts.envelope import UUID_PATTERN
from ticketing_contracts.internal_attachments import CheckAttachments
from ticketing_contracts.topics import (
    BRAND_ID_PATTERN,
    TICKET_ID_PATTERN,
    is_brand_id,
    is_hex_id,
    is_ticket_id,
    parse_ticket_stream_id,
)
from ticketing_contracts.tracking_code import (
    TRACKING_CODE_PATTERN,
    is_valid_tracking_code,
    normalize_tracking_code,
)
from ticketing_notifications.application.consumer import is_notification_id
from ticketing_notifications.domain.contacts import BadPhone, normalise_phone
from ticketing_notifications.entrypoints.schemas import decode_cursor as notifications_cursor
from ticketing_notifications.entrypoints.schemas import encode_cursor as notifications_encode
from ticketing_query.application.ports import Cursor
from ticketing_query.entrypoints.cursors import BadCursor
from ticketing_query.entrypoints.cursors import decode_cursor as tickets_cursor
from ticketing_query.entrypoints.cursors import encode_cursor as tickets_encode
from ticketing_tickets.entrypoints.idempotent import is_idempotency_key
from ticketing_tickets.entrypoints.request_values import ticket_id_of, version_of
from ticketing_web.auth import Identity
from ticketing_web.observability import is_safe_correlation_id
from ticketing_web.read_your_writes import parse_min_position

TICKET = "3f1c9a7e5b2d4c6e8a0b1c2d3e4f5a6b"
CLAIMS: dict[str, Any] = {
    "sub": "cust-1",
    "role": "agent",
    "brand": "acme",
    "exp": int(time.time()) + 600,
    "name": "مریم رضایی",
    "departments": ["finance"],
    "customers": ["cust-2"],
}


def accepts(check: Callable[[str], Any]) -> Callable[[str], bool]:
    """A validator as a predicate: True if it takes the value, False if it refuses it."""

    def predicate(value: str) -> bool:
        try:
            result = check(value)
        except (ValueError, HTTPException, BadPhone):  # ValidationError is a ValueError
            return False
        return result is not None and result is not False

    return predicate


def claim(name: str) -> Callable[[str], Any]:
    def validate(value: str) -> Identity:
        listed = name in ("departments", "customers")
        return Identity.model_validate({**CLAIMS, name: [value] if listed else value})

    return validate


def pattern(regex: str) -> Callable[[str], Any]:
    return TypeAdapter(Annotated[str, Field(pattern=regex)]).validate_python


def internal_check_brand(value: str) -> CheckAttachments:
    return CheckAttachments(
        brand_id=value, user_id="u", role="agent", departments=None, attachment_ids=[]
    )


#: Every validator with a value it accepts.
VALIDATORS: dict[str, tuple[Callable[[str], bool], str]] = {
    "brand claim": (accepts(claim("brand")), "acme"),
    "sub claim": (accepts(claim("sub")), "cust-1"),
    "name claim": (accepts(claim("name")), "مریم رضایی"),
    "departments claim": (accepts(claim("departments")), "finance"),
    "customers claim": (accepts(claim("customers")), "cust-2"),
    "brand id": (is_brand_id, "acme"),
    "ticket id": (is_ticket_id, TICKET),
    "ticket stream id": (accepts(parse_ticket_stream_id), f"ticket-acme-{TICKET}"),
    "ticket id in a path": (accepts(ticket_id_of), TICKET),
    "If-Match": (accepts(version_of), '"3"'),
    "X-Min-Position": (accepts(parse_min_position), "42"),
    "Idempotency-Key": (is_idempotency_key, "open-1"),
    "X-Correlation-Id": (is_safe_correlation_id, "call-1234"),
    "tracking code": (is_valid_tracking_code, "87831491"),
    "typed tracking code": (accepts(normalize_tracking_code), "۸۷۸۳-۱۴۹۱"),
    "phone": (accepts(normalise_phone), "۰۹۱۲ ۱۲۳ ۴۵۶۷"),
    "notification id": (is_notification_id, "a" * 32),
    "attachment id": (is_hex_id, "b" * 32),
    "blob key": (accepts(check_blob_key), f"acme/{TICKET}"),
    "tickets list cursor": (
        accepts(tickets_cursor),
        tickets_encode(Cursor(datetime.now(UTC), TICKET)),
    ),
    "notifications list cursor": (accepts(notifications_cursor), notifications_encode(7)),
    "brand pattern (events)": (accepts(pattern(BRAND_ID_PATTERN)), "acme"),
    "ticket id pattern (events)": (accepts(pattern(TICKET_ID_PATTERN)), TICKET),
    "tracking code pattern (events)": (accepts(pattern(TRACKING_CODE_PATTERN)), "87831491"),
    "event id pattern (events)": (
        accepts(pattern(UUID_PATTERN)),
        "0f8fad5b-d9cb-469f-a165-70867728950e",
    ),
    "internal check brand": (accepts(internal_check_brand), "acme"),
}
BAD_ENDINGS = ["\n", "\x00", "\r\n", "\r", "\u2028"]


@pytest.mark.parametrize("name", list(VALIDATORS))
def test_each_validator_accepts_its_example(name: str) -> None:
    valid, example = VALIDATORS[name]
    assert valid(example)


@pytest.mark.parametrize("name", list(VALIDATORS))
@pytest.mark.parametrize("ending", BAD_ENDINGS, ids=repr)
def test_no_validator_accepts_its_example_with_a_newline_or_nul_after_it(
    name: str, ending: str
) -> None:
    valid, example = VALIDATORS[name]
    assert not valid(example + ending)
    assert not valid(example[:1] + "\x00" + example[1:])


@pytest.mark.parametrize("name", list(VALIDATORS))
@given(text=st.text(max_size=40), ending=st.sampled_from(BAD_ENDINGS))
def test_no_validator_accepts_any_text_ending_in_a_newline_or_holding_a_nul(
    name: str, text: str, ending: str
) -> None:
    valid, _ = VALIDATORS[name]
    assert not valid(text + ending)
    assert not valid(text + "\x00" + text)


def test_a_brand_claim_with_a_trailing_newline_is_not_an_identity() -> None:
    with pytest.raises(ValidationError):
        Identity.model_validate({**CLAIMS, "brand": "acme\n"})
    with pytest.raises(BadCursor):
        tickets_cursor(VALIDATORS["tickets list cursor"][1] + "\n")
