"""Write (or check) the JSON Schemas of the envelope and of every event version, and the AsyncAPI
document of the ticket-event topics that refers to them (`generate_asyncapi`).

    python -m ticketing_contracts.generate            # rewrite contracts/schemas/, asyncapi.json
    python -m ticketing_contracts.generate --check    # exit 1 and list files that drifted

With `--out DIR` only the schemas are written (to DIR); `--asyncapi FILE` names the document.

One file per event version, `tickets.<EventType>.v<N>.json`: the whole envelope with `data`
set to that event's schema, so a consumer in any language can validate a message in one go.
Plus `envelope.json`, the envelope alone. Output is deterministic (sorted keys, indent 2,
UTF-8, trailing newline), so a drift check is a plain text comparison.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .envelope import EventEnvelope
from .events import ALL_EVENT_MODELS, EventData
from .generate_asyncapi import default_asyncapi_path, render_asyncapi

DIALECT = "https://json-schema.org/draft/2020-12/schema"
ENVELOPE_FILE = "envelope.json"
ENVELOPE_ID = "tickets.EventEnvelope"


def default_schema_dir() -> Path:
    """`contracts/schemas/` of the source tree this package was loaded from."""
    return Path(__file__).resolve().parents[2] / "schemas"


def envelope_schema() -> dict[str, Any]:
    """JSON Schema of the envelope, with `data` any object."""
    schema = EventEnvelope.model_json_schema()
    schema.update(
        {
            "$schema": DIALECT,
            "$id": ENVELOPE_ID,
            "title": "Ticket event envelope",
            "description": _doc(EventEnvelope)
            + " `data` is checked by the schema of the event's version "
            "(tickets.<event_type>.v<schema_version>).",
        }
    )
    return schema


def event_schema(model: type[EventData]) -> dict[str, Any]:
    """JSON Schema of a whole envelope carrying one event version."""
    schema = EventEnvelope.model_json_schema()
    data = model.model_json_schema()
    defs: dict[str, Any] = schema.setdefault("$defs", {})
    for name, definition in data.pop("$defs", {}).items():
        if name in defs and defs[name] != definition:
            raise ValueError(f"{model.wire_name}: $defs/{name} clashes with the envelope's")
        defs[name] = definition
    props = schema["properties"]
    props["data"] = data
    props["event_type"] = {"const": model.event_type, "title": "Event Type", "type": "string"}
    props["schema_version"] = {
        "const": model.schema_version,
        "title": "Schema Version",
        "type": "integer",
    }
    schema.update(
        {
            "$schema": DIALECT,
            "$id": model.wire_name,
            "title": f"{model.event_type} v{model.schema_version}",
            "description": f"{_doc(model)} The envelope of a {model.event_type} event, "
            f"schema version {model.schema_version}.",
        }
    )
    return schema


def render_schemas() -> dict[str, str]:
    """File name -> exact file text, for every schema file the models define now."""
    files = {ENVELOPE_FILE: _dump(envelope_schema())}
    for model in ALL_EVENT_MODELS:
        files[f"{model.wire_name}.json"] = _dump(event_schema(model))
    return dict(sorted(files.items()))


def drifted(schema_dir: Path) -> list[str]:
    """Files in `schema_dir` that are missing, differ from the models, or no model makes."""
    expected = render_schemas()
    problems = []
    for name, text in expected.items():
        path = schema_dir / name
        if not path.is_file():
            problems.append(f"{name}: missing")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"{name}: differs from the models")
    if schema_dir.is_dir():
        for path in sorted(schema_dir.glob("*.json")):
            if path.name not in expected:
                problems.append(f"{path.name}: no model generates it (a published version?)")
    return problems


def write(schema_dir: Path) -> list[str]:
    """Write every schema file; returns the names of files it changed or created."""
    schema_dir.mkdir(parents=True, exist_ok=True)
    changed = []
    for name, text in render_schemas().items():
        path = schema_dir / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8", newline="\n")
            changed.append(name)
    return changed


def asyncapi_drift(path: Path) -> list[str]:
    """The AsyncAPI document at `path`, if it is missing or differs from what the code makes."""
    if not path.is_file():
        return [f"{path.name}: missing"]
    if path.read_text(encoding="utf-8") != render_asyncapi():
        return [f"{path.name}: differs from the models"]
    return []


def write_asyncapi(path: Path) -> bool:
    """Write the AsyncAPI document; whether it changed."""
    text = render_asyncapi()
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8", newline="\n")
    return True


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m ticketing_contracts.generate")
    parser.add_argument("--check", action="store_true", help="only report drift; exit 1 if any")
    parser.add_argument("--out", type=Path, default=None, help="default: contracts/schemas/")
    parser.add_argument(
        "--asyncapi", type=Path, default=None, help="default: contracts/asyncapi.json without --out"
    )
    args = parser.parse_args(argv)
    schema_dir: Path = args.out or default_schema_dir()
    asyncapi: Path | None = args.asyncapi or (None if args.out else default_asyncapi_path())
    if args.check:
        problems = drifted(schema_dir) + (asyncapi_drift(asyncapi) if asyncapi else [])
        for line in problems:
            print(line, file=sys.stderr)
        if problems:
            print("schemas drifted: run `python -m ticketing_contracts.generate`", file=sys.stderr)
            return 1
        print(f"schemas in {schema_dir} are up to date" + (f", and {asyncapi}" if asyncapi else ""))
        return 0
    for name in write(schema_dir):
        print(f"wrote {schema_dir / name}")
    if asyncapi is not None and write_asyncapi(asyncapi):
        print(f"wrote {asyncapi}")
    # Never delete: a file no model generates is usually a published version whose model was
    # removed by mistake, and history keeps needing its schema.
    for line in drifted(schema_dir):
        print(f"warning: {line}", file=sys.stderr)
    return 0


def _doc(model: type[Any]) -> str:
    return " ".join((model.__doc__ or "").split())


def _dump(schema: dict[str, Any]) -> str:
    return json.dumps(schema, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
