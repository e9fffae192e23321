"""Checks an event envelope the way an outside consumer would: against the JSON Schemas checked
into contracts/schemas (the generic envelope, then the whole envelope against its event type's
and version's own schema, which fixes `event_type` and describes `data`), with the standard
`jsonschema` validator rather than our pydantic models."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

SCHEMAS = Path(__file__).resolve().parent.parent / "contracts" / "schemas"


@cache
def _validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def schema_errors(envelope: dict[str, Any]) -> list[str]:
    """Every way `envelope` breaks the published schemas ([] when it conforms)."""
    errors = [f"envelope: {e.message}" for e in _validator("envelope.json").iter_errors(envelope)]
    name = f"tickets.{envelope.get('event_type')}.v{envelope.get('schema_version')}.json"
    if not (SCHEMAS / name).is_file():
        return [*errors, f"no published schema {name}"]
    errors += [f"{name}: {e.message}" for e in _validator(name).iter_errors(envelope)]
    return errors
