from __future__ import annotations

import itertools

import pytest
from contracts_examples import TICKET_ID
from ticketing_contracts import (
    TICKET_EVENTS_DLQ,
    TICKET_EVENTS_TOPIC,
    brand_stream_prefix,
    parse_ticket_stream_id,
    ticket_stream_id,
)

BRANDS = ["acme", "acme_corp", "acme2", "Acme", "a", "sms_panel", "x" * 64]


def test_topic_names_are_versioned_and_the_dead_letter_topic_sits_beside_them() -> None:
    assert TICKET_EVENTS_TOPIC == "tickets.events.v1"
    assert TICKET_EVENTS_DLQ == "tickets.events.v1.dlq"


def test_a_ticket_stream_id_carries_brand_and_ticket_and_parses_back() -> None:
    stream = ticket_stream_id("acme", TICKET_ID)
    assert stream == f"ticket-acme-{TICKET_ID}"
    assert stream.startswith(brand_stream_prefix("acme"))
    assert parse_ticket_stream_id(stream) == ("acme", TICKET_ID)


@pytest.mark.parametrize("brand", BRANDS)
def test_stream_ids_round_trip_for_every_kind_of_brand(brand: str) -> None:
    assert parse_ticket_stream_id(ticket_stream_id(brand, TICKET_ID)) == (brand, TICKET_ID)


def test_no_brand_prefix_matches_another_brands_streams() -> None:
    for owner, other in itertools.product(BRANDS, repeat=2):
        stream = ticket_stream_id(other, TICKET_ID)
        assert stream.startswith(brand_stream_prefix(owner)) == (owner == other)


@pytest.mark.parametrize("brand", ["acme-corp", "", "acme corp", "آکمه", "x" * 65, "a.b"])
def test_brands_outside_the_pattern_are_refused(brand: str) -> None:
    with pytest.raises(ValueError, match="brand id"):
        ticket_stream_id(brand, TICKET_ID)
    with pytest.raises(ValueError, match="brand id"):
        brand_stream_prefix(brand)


@pytest.mark.parametrize(
    "ticket_id",
    [
        TICKET_ID.upper(),
        "3f2b9c0e-8d4a-4f1b-9e6c-7a5d2b1e0f47",
        TICKET_ID[:-1],
        TICKET_ID + "0",
        "",
        "../etc",
    ],
)
def test_malformed_ticket_ids_are_refused(ticket_id: str) -> None:
    with pytest.raises(ValueError, match="ticket id"):
        ticket_stream_id("acme", ticket_id)


@pytest.mark.parametrize(
    "stream",
    [
        f"ticket-acme-corp-{TICKET_ID}",
        f"ticket--{TICKET_ID}",
        f"ticket-acme-{TICKET_ID.upper()}",
        f"tracking-acme-{TICKET_ID}",
        "tracking-acme-40719328",
        "$ce-ticket",
        f"ticket-acme-{TICKET_ID}\n",
    ],
)
def test_streams_that_are_not_ticket_streams_parse_to_none(stream: str) -> None:
    assert parse_ticket_stream_id(stream) is None
