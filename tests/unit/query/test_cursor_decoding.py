"""Every list cursor decoder, fed anything: the only way out is a clean "bad cursor" error
(a 422 naming `cursor`), or a position that encodes back to the same cursor."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ticketing_notifications.entrypoints.schemas import decode_cursor as decode_notifications
from ticketing_notifications.entrypoints.schemas import encode_cursor as encode_notifications
from ticketing_query.application.ports import Cursor
from ticketing_query.entrypoints.cursors import BadCursor
from ticketing_query.entrypoints.cursors import decode_cursor as decode_tickets
from ticketing_query.entrypoints.cursors import encode_cursor as encode_tickets

TICKET = "3f1c9a7e5b2d4c6e8a0b1c2d3e4f5a6b"


def tickets_round_trip(text: str) -> None:
    try:
        cursor = decode_tickets(text)
    except BadCursor:
        return
    assert cursor.last_activity_at.utcoffset() == timedelta(0)
    assert decode_tickets(encode_tickets(cursor)) == cursor


def notifications_round_trip(text: str) -> None:
    try:
        seq = decode_notifications(text)
    except ValueError as error:
        refused = str(error)
    else:
        assert decode_notifications(encode_notifications(seq)) == seq
        return
    assert refused == "not a cursor from this list"


DECODERS: dict[str, Callable[[str], None]] = {
    "tickets": tickets_round_trip,
    "notifications": notifications_round_trip,
}


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def tickets_cursor_of(payload: object, version: int = 1) -> str:
    return b64(bytes([version]) + json.dumps(payload).encode())


@pytest.mark.parametrize("decoder", list(DECODERS))
@given(raw=st.binary(max_size=160))
def test_any_bytes_as_base64url_decode_cleanly_or_not_at_all(decoder: str, raw: bytes) -> None:
    DECODERS[decoder](b64(raw))


@pytest.mark.parametrize("decoder", list(DECODERS))
@given(text=st.text(max_size=220))
def test_any_text_decodes_cleanly_or_not_at_all(decoder: str, text: str) -> None:
    DECODERS[decoder](text)


#: The ends of time, where a far offset has no UTC instant, and anything in between.
EDGES = st.sampled_from([datetime.min, datetime.max, datetime(1, 1, 1, 9), datetime(9999, 12, 31)])
OFFSETS = st.sampled_from([UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-14))])


@given(
    moment=st.one_of(EDGES, st.datetimes()),
    offset=st.one_of(st.none(), OFFSETS),
    ticket=st.one_of(st.just(TICKET), st.text(max_size=40)),
    version=st.sampled_from([0, 1, 2]),
)
def test_any_date_and_id_in_a_tickets_cursor_decode_cleanly_or_not_at_all(
    moment: datetime, offset: timezone | None, ticket: str, version: int
) -> None:
    at = moment.replace(tzinfo=offset).isoformat()
    tickets_round_trip(tickets_cursor_of([at, ticket], version))


@given(
    payload=st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
        max_leaves=6,
    )
)
def test_any_json_in_a_tickets_cursor_decodes_cleanly_or_not_at_all(payload: object) -> None:
    tickets_round_trip(tickets_cursor_of(payload))


@pytest.mark.parametrize("at", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59.999999-14:00"])
def test_a_position_with_no_utc_instant_is_a_bad_cursor(at: str) -> None:
    with pytest.raises(BadCursor):
        decode_tickets(tickets_cursor_of([at, TICKET]))


def test_a_cursor_at_the_edges_of_time_in_utc_still_works() -> None:
    for at in (datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, tzinfo=UTC)):
        cursor = Cursor(at, TICKET)
        assert decode_tickets(encode_tickets(cursor)) == cursor
