"""The AsyncAPI document of the ticket-event topics: checked in, complete, and true to the
records the relay and the consumers really write."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from contracts_examples import envelope_dict
from jsonschema import Draft202012Validator
from ticketing_contracts import ALL_EVENT_MODELS, TICKET_EVENTS_DLQ, TICKET_EVENTS_TOPIC
from ticketing_contracts.dead_letters import dead_letter_headers
from ticketing_contracts.generate import main, render_schemas
from ticketing_contracts.generate_asyncapi import (
    DEAD_LETTER_CHANNEL,
    DEAD_LETTER_MESSAGE,
    EVENTS_CHANNEL,
    MARKER_MESSAGE,
    asyncapi_document,
    default_asyncapi_path,
    render_asyncapi,
)
from ticketing_contracts.kafka_wire import ce_type, encode_event, encode_marker

CONTRACTS = Path(__file__).resolve().parents[3] / "contracts"
DOCUMENT = asyncapi_document()


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for item in node for r in _refs(item)]
    return []


def _pointer(document: dict[str, Any], ref: str) -> object:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _fits(schema: object, instance: object) -> list[str]:
    """Errors of `instance` against `schema`, references resolved within the document."""
    validator = Draft202012Validator({**DOCUMENT, "$ref": "#/x-checked", "x-checked": schema})
    return [e.message for e in validator.iter_errors(instance)]


def _text(headers: list[tuple[str, bytes]]) -> dict[str, str]:
    return {name: value.decode() for name, value in headers}


def test_the_checked_in_document_equals_what_the_code_generates_now() -> None:
    # Fails when a model, kafka_wire or the generator changes without regenerating.
    assert default_asyncapi_path() == CONTRACTS / "asyncapi.json"
    assert (CONTRACTS / "asyncapi.json").read_text(encoding="utf-8") == render_asyncapi()


def test_every_reference_resolves_in_the_document_or_to_a_published_schema() -> None:
    refs = _refs(DOCUMENT)
    assert refs
    for ref in refs:
        if ref.startswith("#/"):
            assert isinstance(_pointer(DOCUMENT, ref), dict), ref
        else:
            assert (CONTRACTS / ref).is_file(), ref
            assert Path(ref).name in render_schemas(), ref


def test_the_two_channels_are_the_topics_and_operations_use_their_messages() -> None:
    channels = DOCUMENT["channels"]
    assert channels[EVENTS_CHANNEL]["address"] == TICKET_EVENTS_TOPIC
    assert channels[DEAD_LETTER_CHANNEL]["address"] == TICKET_EVENTS_DLQ
    for name, operation in DOCUMENT["operations"].items():
        channel = operation["channel"]["$ref"]
        for message in operation["messages"]:
            assert message["$ref"].startswith(f"{channel}/messages/"), name


@pytest.mark.parametrize("model", ALL_EVENT_MODELS, ids=lambda m: m.wire_name)
def test_each_event_version_is_a_message_with_its_schema_type_and_key(model: type) -> None:
    assert model.wire_name in DOCUMENT["channels"][EVENTS_CHANNEL]["messages"]
    message = DOCUMENT["components"]["messages"][model.wire_name]
    assert message["payload"] == {"$ref": f"schemas/{model.wire_name}.json"}
    fixed = message["headers"]["allOf"][1]["properties"]
    assert fixed["ce_type"]["const"] == ce_type(model.event_type, model.schema_version)
    assert message["bindings"]["kafka"]["key"]["pattern"] == "^[0-9a-f]{32}$"


@pytest.mark.parametrize("model", ALL_EVENT_MODELS, ids=lambda m: m.wire_name)
def test_an_event_record_as_the_relay_writes_it_fits_its_message(model: type) -> None:
    record = encode_event(envelope_dict(model.event_type, model.schema_version))
    message = DOCUMENT["components"]["messages"][model.wire_name]
    assert _fits(message["headers"], _text(record.headers)) == []
    assert _fits(message["bindings"]["kafka"]["key"], record.key.decode()) == []
    payload = json.loads((CONTRACTS / message["payload"]["$ref"]).read_text(encoding="utf-8"))
    errors = Draft202012Validator(payload).iter_errors(json.loads(record.value))
    assert [e.message for e in errors] == []
    other = next(m for m in ALL_EVENT_MODELS if m.event_type != model.event_type)
    wrong = DOCUMENT["components"]["messages"][other.wire_name]["headers"]
    assert _fits(wrong, _text(record.headers)) != []  # ce_type tells the messages apart


def test_a_position_marker_fits_its_message_and_no_event_message() -> None:
    value, headers = encode_marker(42)
    message = DOCUMENT["components"]["messages"][MARKER_MESSAGE]
    assert _fits(message["headers"], _text(headers)) == []
    assert _fits(message["payload"], json.loads(value)) == []
    assert _fits(message["payload"], {"type": "PositionMarker", "position": -1}) != []
    event = DOCUMENT["components"]["messages"][ALL_EVENT_MODELS[0].wire_name]
    assert _fits(event["headers"], _text(headers)) != []


def test_a_parked_record_fits_the_dead_letter_message() -> None:
    record = encode_event(envelope_dict("TicketClosed"))
    headers = dead_letter_headers(
        record.headers,
        reason="data lacks ['reason']",
        topic=TICKET_EVENTS_TOPIC,
        partition=3,
        offset=1042,
        group="ticketing-query",
    )
    message = DOCUMENT["components"]["messages"][DEAD_LETTER_MESSAGE]
    assert _fits(message["headers"], _text(headers)) == []
    assert _fits(message["headers"], _text(record.headers)) != []  # no reason: not parked


def test_generate_writes_the_document_and_check_reports_its_drift(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = tmp_path / "asyncapi.json"
    args = ["--out", str(tmp_path / "schemas"), "--asyncapi", str(document)]
    assert main(args) == 0
    assert document.read_text(encoding="utf-8") == render_asyncapi()
    assert main(["--check", *args]) == 0

    document.write_text("{}\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["--check", *args]) == 1
    assert "asyncapi.json: differs from the models" in capsys.readouterr().err
