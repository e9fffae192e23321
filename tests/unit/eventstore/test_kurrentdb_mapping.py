"""The pure translations of the KurrentDB adapter: versions, ids, events, filters and errors."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import kurrentdbclient as kdb
import pytest
from google.protobuf import any_pb2, empty_pb2
from kurrentdbclient import StreamState
from kurrentdbclient.common import construct_filter_include_regex
from kurrentdbclient.exceptions import WrongCurrentVersionError
from kurrentdbclient.protos.v1 import shared_pb2, status_pb2, streams_pb2
from kurrentdbclient.streams import BaseStreamsService
from ticketing_eventstore import NewEvent
from ticketing_eventstore._kurrentdb_mapping import (
    EVENT_ID_NAMESPACE,
    ORIGINAL_ID_KEY,
    current_version,
    first_repeated_id,
    kurrent_event_id,
    our_version,
    regex_literal,
    stream_filter,
    to_new_event,
    to_recorded,
)

TITLE = "سلام، پنل پیامکی من کار نمی‌کند"


def opened(event_id: str, **metadata: object) -> NewEvent:
    return NewEvent(event_id, "TicketOpened", {"title": TITLE, "amount": 2**62}, metadata)


def as_stored(
    new: kdb.NewEvent, *, stream: str = "ticket-acme-1", position: int = 0
) -> kdb.RecordedEvent:
    """What the server hands back for an event the adapter appended."""
    return kdb.RecordedEvent(
        type=new.type,
        data=new.data,
        metadata=new.metadata,
        content_type=new.content_type,
        id=new.id,
        stream_name=stream,
        stream_position=position,
        commit_position=4_198_231,
        prepare_position=4_198_231,
        recorded_at=datetime(2025, 3, 21, 8, 30, tzinfo=UTC),
    )


# -- versions ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expected", "kurrent"),
    [(None, StreamState.ANY), (0, StreamState.NO_STREAM), (1, 0), (7, 6)],
)
def test_an_expected_version_becomes_kurrentdbs_current_version(
    expected: int | None, kurrent: int | StreamState
) -> None:
    assert current_version(expected) == kurrent


def test_a_negative_expected_version_is_refused() -> None:
    with pytest.raises(ValueError, match="expected_version"):
        current_version(-1)


@pytest.mark.parametrize(
    ("kurrent", "ours"),
    [
        (StreamState.NO_STREAM, 0),
        (0, 1),
        (41, 42),
        (StreamState.ANY, None),
        (None, None),
        (-3, None),
    ],
)
def test_kurrentdbs_current_version_becomes_ours(
    kurrent: int | StreamState | None, ours: int | None
) -> None:
    assert our_version(kurrent) == ours


def conflict(
    detail: shared_pb2.WrongExpectedVersion, expected: int | StreamState
) -> WrongCurrentVersionError:
    """The client's own conversion of the server's WrongExpectedVersion reply to an append."""
    packed = any_pb2.Any()
    packed.Pack(detail)
    reply = streams_pb2.BatchAppendResp(error=status_pb2.Status(code=9, details=packed))
    with pytest.raises(WrongCurrentVersionError) as raised:
        BaseStreamsService._convert_batch_append_resp(reply, "ticket-acme-1", expected)
    return raised.value


def test_the_actual_version_of_a_conflict_is_the_servers_revision_plus_one() -> None:
    error = conflict(shared_pb2.WrongExpectedVersion(current_stream_revision=4), current_version(2))
    assert our_version(error.actual_version) == 5


def test_a_conflict_on_a_stream_that_does_not_exist_names_version_0() -> None:
    missing = shared_pb2.WrongExpectedVersion(current_no_stream=empty_pb2.Empty())
    assert our_version(conflict(missing, current_version(3)).actual_version) == 0


# -- ids ---------------------------------------------------------------------------------------


def test_a_canonical_uuid_event_id_is_kurrentdbs_id_and_adds_no_metadata() -> None:
    event_id = str(uuid.uuid4())
    new = to_new_event(opened(event_id, brand_id="acme"))
    assert new.id == uuid.UUID(event_id)
    assert ORIGINAL_ID_KEY not in new.metadata.decode()
    recorded = to_recorded(as_stored(new))
    assert recorded is not None
    assert (recorded.event_id, recorded.metadata) == (event_id, {"brand_id": "acme"})


@pytest.mark.parametrize(
    "event_id",
    [
        "cmd-17:opened",
        "9F1C0D2E-5B7A-4C3D-8E9F-0A1B2C3D4E5F",
        "9f1c0d2e5b7a4c3d8e9f0a1b2c3d4e5f",
        "رویداد-۱",
    ],
    ids=["text", "upper-case-uuid", "uuid-without-hyphens", "persian"],
)
def test_any_other_event_id_maps_to_a_fixed_uuid_and_comes_back_unchanged(event_id: str) -> None:
    first, again = to_new_event(opened(event_id)), to_new_event(opened(event_id))
    assert first.id == again.id  # a retried append carries the same ids
    recorded = to_recorded(as_stored(first))
    assert recorded is not None
    assert recorded.event_id == event_id
    assert recorded.metadata == {}


def test_a_non_uuid_event_id_maps_to_its_uuid5() -> None:
    assert kurrent_event_id("cmd-17:opened") == uuid.uuid5(EVENT_ID_NAMESPACE, "cmd-17:opened")
    assert kurrent_event_id("cmd-17:opened") != kurrent_event_id("cmd-18:opened")


def test_ids_that_map_to_the_same_uuid_in_one_append_are_found() -> None:
    same = str(uuid.uuid4())
    events = [opened(str(uuid.uuid4())), opened(same), opened(same.upper())]
    assert first_repeated_id(events) == same.upper()
    assert first_repeated_id(events[:2]) is None


def test_the_reserved_metadata_key_and_system_event_types_are_refused() -> None:
    with pytest.raises(ValueError, match="reserved"):
        to_new_event(opened("cmd-1", **{ORIGINAL_ID_KEY: "x"}))
    with pytest.raises(ValueError, match=r"'\$'"):
        to_new_event(NewEvent(str(uuid.uuid4()), "$metadata", {}))


# -- events ------------------------------------------------------------------------------------


def test_a_recorded_event_keeps_persian_text_numbers_and_the_server_time() -> None:
    new = to_new_event(opened(str(uuid.uuid4()), actor={"id": "agent-3", "role": "agent"}))
    recorded = to_recorded(as_stored(new, position=2))
    assert recorded is not None
    assert recorded.data == {"title": TITLE, "amount": 2**62}
    assert TITLE.encode() in new.data  # stored as UTF-8 text, not \u escapes
    assert (recorded.stream_version, recorded.position) == (3, 4_198_231)
    assert recorded.recorded_at == datetime(2025, 3, 21, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("stream", "event_type", "data", "metadata"),
    [
        ("$stats-127.0.0.1:2113", "$statsCollected", b"{}", b""),
        ("ticket-acme-1", "$>", b"0@ticket-acme-2", b""),
        ("ticket-acme-1", "ImageUploaded", b"\x89PNG\r\n", b""),
        ("ticket-acme-1", "TicketOpened", b"[1, 2]", b""),
        ("ticket-acme-1", "TicketOpened", b"{}", b"not json"),
    ],
    ids=["system-stream", "link", "binary", "json-array", "bad-metadata"],
)
def test_events_that_are_not_ours_to_return_are_passed_over(
    stream: str, event_type: str, data: bytes, metadata: bytes
) -> None:
    foreign = kdb.NewEvent(type=event_type, data=data, metadata=metadata)
    assert to_recorded(as_stored(foreign, stream=stream)) is None


# -- filters -----------------------------------------------------------------------------------


def selects(prefix: str | None, stream: str) -> bool:
    """Whether the server-side filter, wrapped by the client as it sends it, takes `stream`."""
    return re.search(construct_filter_include_regex((stream_filter(prefix),)), stream) is not None


@pytest.mark.parametrize(
    "prefix",
    [
        "ticket-acme-",
        "ticket-a_b",
        "ticket-a%b",
        "ticket-a.b",
        "ticket-(a|b)*",
        "ticket-[ab]{2}^$\\",
        "ticket-a b#c",
        "ticket-a\nb",
        "ticket-فروشگاه‌ما-",
        "ticket-🙏-",
    ],
)
def test_a_prefix_filter_matches_the_prefix_literally(prefix: str) -> None:
    assert selects(prefix, prefix)
    assert selects(prefix, prefix + "0a1b2c\nrest")
    assert not selects(prefix, prefix[:-1])
    assert not selects(prefix, "x" + prefix)
    assert not selects(prefix, prefix[:-1] + "Z" + "0a1b2c")


def test_a_prefix_filter_has_no_wildcards() -> None:
    assert not selects("ticket-a_b", "ticket-axb-1")
    assert not selects("ticket-a.b", "ticket-axb-1")
    assert not selects("ticket-(a|b)*", "ticket-a-1")


@pytest.mark.parametrize("prefix", [None, "", "$", "$ce-ticket"])
def test_no_filter_ever_takes_a_system_stream(prefix: str | None) -> None:
    assert not selects(prefix, "$ce-ticket")
    assert not selects(prefix, "$$ticket-acme-1")
    assert selects(None, "ticket-acme-1")


@pytest.mark.parametrize("text", ["ticket-[a]{2}^$\\.|?*+()#& \t\n~-", "فروشگاه‌ما", "🙏x_Y9"])
def test_a_literal_uses_only_syntax_both_regex_engines_read_the_same(text: str) -> None:
    # .NET (the server) and Python (these tests) agree on: plain letters, digits and '_', \xHH,
    # and non-ASCII characters standing for themselves. Nothing else may appear.
    assert re.fullmatch(r"(?:[A-Za-z0-9_]|\\x[0-9a-f]{2}|[^\x00-\x7f])*", regex_literal(text))
    assert re.fullmatch(regex_literal(text), text)
