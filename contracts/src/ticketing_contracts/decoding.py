"""An event's stored or received `data` as the current model of its type: upcast once, built once.

Every reader goes through `decode_event`: the feeds (store and Kafka) and the tickets service
loading an aggregate. It upcasts old versions, then builds the model in one of two ways:

- validated (the default): pydantic checks every field, as for a Kafka record or anything else
  someone outside this process wrote;
- trusted: for records of our own event store, which only the tickets service writes, from
  domain events whose values its rules checked and whose fields a unit test holds to these
  models. When the data's keys are exactly the model's fields the model is built without
  checking each value again (under half the cost of validating, which a rebuild pays per
  event); data with other keys is validated as above.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from .errors import ContractError
from .events import EventData, TicketEvent, model_for
from .upcasting import upcast

_set = object.__setattr__


class InvalidEventData(ContractError, ValueError):
    """The data lacks fields the event's current model requires."""


def decode_event(
    event_type: str, schema_version: int, data: Mapping[str, Any], *, trusted: bool = False
) -> TicketEvent:
    """`data` of `event_type` at `schema_version` as the current model of its type.

    Raises UnknownEventType / UnknownSchemaVersion / MissingUpcaster (from `upcast`),
    InvalidEventData when required fields are missing, and pydantic's ValidationError when a
    value does not fit (a trusted record with the model's exact keys is not checked value by
    value). The caller's mapping is never changed nor kept.
    """
    version, current = upcast(event_type, schema_version, dict(data))
    model, names, required = _shape_of(event_type, version)
    keys = current.keys()
    if trusted and keys == names:
        return _built(model, current, names)  # type: ignore[return-value]  # a current model
    missing = required - keys
    if missing:
        raise InvalidEventData(f"data lacks {sorted(missing)}")
    return model.model_validate(current)  # type: ignore[return-value]  # a current model


@cache
def _shape_of(
    event_type: str, version: int
) -> tuple[type[EventData], frozenset[str], frozenset[str]]:
    """The model of an event version, its field names, and those of them it requires."""
    model = model_for(event_type, version)
    fields = model.model_fields
    names = frozenset(fields)
    return model, names, frozenset(n for n, info in fields.items() if info.is_required())


def _built(model: type[EventData], data: dict[str, Any], names: frozenset[str]) -> EventData:
    """The model holding `data` (whose keys are `names`, every field) as it is: what
    `model_construct` does for a model without defaults, private attributes or extra fields,
    without its per-field loop (slower than validating). Every event of a model shares one
    frozen set of the fields set (the models are frozen: nothing adds to it), which spares
    the garbage collector an object per event. A unit test holds the result equal to a
    validated model's."""
    event = model.__new__(model)
    _set(event, "__dict__", data)
    _set(event, "__pydantic_fields_set__", names)
    _set(event, "__pydantic_extra__", None)
    _set(event, "__pydantic_private__", None)
    return event
