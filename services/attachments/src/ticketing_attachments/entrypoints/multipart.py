"""Reading one file field of a multipart/form-data request as a stream of chunks.

Starlette's `request.form()` spools a whole upload to a temp file before the route sees a byte,
so nothing could be refused (size, type) while it arrives. Here python-multipart's push parser
is fed the request stream directly; the file's bytes are handed on as they are parsed. The
request as a whole is capped too, so other fields cannot be used to send unbounded data.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from ticketing_attachments.application.inspection import TooLarge

_ENVELOPE_BYTES = 64 * 1024  # boundaries, part headers and small fields besides the file
#: RFC 2046 section 5.1.1: 1-70 of these characters, the last not a space.
_BOUNDARY = re.compile(rb"[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]")


class MalformedUpload(Exception):
    """Not a multipart/form-data body with the file field (400 or 422 by `status`)."""

    def __init__(self, detail: str, status: int = 400) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status = status


@dataclass(frozen=True, slots=True)
class FilePart:
    filename: str | None
    content_type: str | None
    chunks: AsyncIterator[bytes]


class _Parts:
    """The parser's callbacks turned into a queue of (kind, value) events."""

    def __init__(self, boundary: bytes) -> None:
        self.events: deque[tuple[str, Any]] = deque()
        self._field = bytearray()
        self._value = bytearray()
        self._headers: dict[bytes, bytes] = {}
        callbacks: Any = {
            "on_part_begin": self._begin,
            "on_header_field": lambda d, s, e: self._field.extend(d[s:e]),
            "on_header_value": lambda d, s, e: self._value.extend(d[s:e]),
            "on_header_end": self._header_end,
            "on_headers_finished": lambda: self.events.append(("headers", self._headers)),
            "on_part_data": lambda d, s, e: self.events.append(("data", bytes(d[s:e]))),
            "on_part_end": lambda: self.events.append(("end", None)),
        }
        self.parser = MultipartParser(boundary, callbacks)

    def _begin(self) -> None:
        self._headers = {}

    def _header_end(self) -> None:
        self._headers[bytes(self._field).lower()] = bytes(self._value)
        self._field.clear()
        self._value.clear()


async def _events(request: Request, boundary: bytes, limit: int) -> AsyncIterator[tuple[str, Any]]:
    received = 0
    try:
        parts = _Parts(boundary)
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                raise TooLarge(f"The upload is larger than {limit - _ENVELOPE_BYTES} bytes.")
            parts.parser.write(chunk)
            while parts.events:
                yield parts.events.popleft()
        parts.parser.finalize()
    except FormParserError as error:  # every error python-multipart raises, parse or setup
        raise MalformedUpload(f"The multipart body is malformed: {error}") from error
    while parts.events:
        yield parts.events.popleft()


async def file_part(request: Request, field: str, *, max_file_bytes: int) -> FilePart:
    """The first part named `field` with a filename; MalformedUpload if there is none. Its
    chunks must be consumed before anything else reads the request."""
    kind, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise MalformedUpload(f"Send the file as multipart/form-data, field {field!r}.", 422)
    if not _BOUNDARY.fullmatch(boundary):
        raise MalformedUpload("The multipart boundary must be 1-70 characters of RFC 2046.")
    events = _events(request, boundary, max_file_bytes + _ENVELOPE_BYTES)
    async for kind_, value in events:
        if kind_ != "headers":
            continue
        _, options = parse_options_header(value.get(b"content-disposition", b""))
        if options.get(b"name") != field.encode() or b"filename" not in options:
            continue
        declared = value.get(b"content-type")
        return FilePart(
            filename=options[b"filename"].decode("utf-8", "replace"),
            content_type=declared.decode("latin-1") if declared else None,
            chunks=_data_until_end(events),
        )
    raise MalformedUpload(f"The request has no file field {field!r}.", 422)


async def _data_until_end(events: AsyncIterator[tuple[str, Any]]) -> AsyncIterator[bytes]:
    async for kind, value in events:
        if kind == "end":
            return
        if kind == "data" and value:
            yield value
    raise MalformedUpload("The multipart body ended inside the file.")
