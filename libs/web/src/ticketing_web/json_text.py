"""Refuses JSON request bodies that carry a lone surrogate, for every route of every service.

JSON allows `"\\ud800"`; Python decodes it into a `str` that UTF-8 cannot encode, so the value
would fail later in a store, a log line or a response (a 500, or worse, stored in a store that
does not care). The request edge (`edge.ServiceEdge`) checks every JSON body before any route
sees it and answers 422 naming each field, as a validation error would. It costs nothing for
the usual body: only one whose bytes hold a `\\uD800`-`\\uDFFF` escape is decoded to find out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from .problems import MALFORMED_JSON as MALFORMED
from .problems import ProblemResponse, problem
from .text import has_lone_surrogate

#: A JSON escape of a surrogate code point (paired ones included; decoding tells them apart).
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
#: A surrogate encoded as UTF-8 bytes (ED A0-BF xx): invalid UTF-8, but `json.loads` decodes
#: bytes with "surrogatepass" and would hand the route a lone surrogate.
_ENCODED_SURROGATE = re.compile(rb"\xed[\xa0-\xbf]")
_MAX_REPORTED = 20
MESSAGE = "holds a lone surrogate (an unpaired \\ud800-\\udfff escape), which is not text"


def is_json_media(content_type: bytes | None) -> bool:
    """Whether a request with this Content-Type (the first one sent) is read as JSON."""
    if content_type is None:
        return True  # FastAPI reads a body without a content type as JSON
    media = content_type.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or media.endswith(b"+json")


def _printable(part: object) -> str:
    return str(part).encode("utf-8", "backslashreplace").decode("utf-8")


def lone_surrogate_fields(value: Any, path: tuple[object, ...] = ()) -> Iterator[str]:
    """The dotted paths (`title`, `attachment_ids.0`) of every string or member name in a
    decoded JSON value that holds a lone surrogate; a bad name is shown escaped."""
    if isinstance(value, str):
        if has_lone_surrogate(value):
            yield ".".join(_printable(p) for p in path) or "body"
    elif isinstance(value, dict):
        for name, member in value.items():
            if has_lone_surrogate(name):
                yield ".".join(_printable(p) for p in (*path, name))
            else:
                yield from lone_surrogate_fields(member, (*path, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from lone_surrogate_fields(item, (*path, index))


def surrogate_refusal(raw: bytes) -> ProblemResponse | None:
    """The answer to a JSON body holding a lone surrogate (422 naming each field; 400 for
    one encoded as UTF-8 bytes, which is not UTF-8), or None for every other body."""
    if _ENCODED_SURROGATE.search(raw):
        return problem(400, MALFORMED, title="Malformed JSON")
    fields = _fields_of(raw) if _SURROGATE_ESCAPE.search(raw) else []
    if not fields:
        return None
    errors = [{"field": field, "message": MESSAGE} for field in fields[:_MAX_REPORTED]]
    return problem(
        422,
        "; ".join(f"{e['field']}: {e['message']}" for e in errors),
        title="Validation failed",
        errors=errors,
    )


def _fields_of(raw: bytes) -> list[str]:
    try:
        decoded = json.loads(raw)
    except (ValueError, RecursionError):
        return []  # malformed: the route's own parsing answers 400
    return list(lone_surrogate_fields(decoded))
