"""Fuzz targets for the parsers we wrote ourselves: list cursors, tracking-code and search
normalisation, the multipart wrapper, and JWT claim validation. Whatever the input, each either
answers within its contract or refuses with its own error; nothing else escapes."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import string
import time
from datetime import UTC, datetime
from typing import Any

import jwt
from hypothesis import given
from hypothesis import strategies as st
from starlette.requests import Request
from ticketing_attachments.application.inspection import UploadRejected
from ticketing_attachments.entrypoints.multipart import MalformedUpload, file_part
from ticketing_contracts.tracking_code import is_valid_tracking_code, normalize_tracking_code
from ticketing_query.application.ports import Cursor
from ticketing_query.domain.search import normalize, query_terms, tokens
from ticketing_query.entrypoints.cursors import BadCursor, decode_cursor, encode_cursor
from ticketing_web.auth import BRAND_PATTERN, Identity, TokenVerifier, Unauthorized

from .budget import run

PERSIAN = "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهیيكةۀأإآـ\u200c\u200d\u064b\u064e\u0650۰۱۲۳٤٥"
TEXT = st.text(alphabet=st.characters(codec=None) | st.sampled_from(PERSIAN), max_size=80)
HEX = "0123456789abcdef"


@given(TEXT)
def fuzz_cursor_text(text: str) -> None:
    with contextlib.suppress(BadCursor):
        decode_cursor(text)


@given(
    st.integers(0, 255),
    st.one_of(
        st.binary(max_size=64),
        st.builds(
            lambda a, b: json.dumps([a, b]).encode(),
            st.one_of(st.text(max_size=40), st.integers(), st.none(), st.floats()),
            st.one_of(st.text(HEX, min_size=30, max_size=34), st.integers(), st.lists(st.none())),
        ),
        st.builds(
            lambda y, mo, d, off, id_: json.dumps(
                [f"{y:04d}-{mo:02d}-{d:02d}T00:00:00{off}", id_]
            ).encode(),
            st.integers(0, 9999),
            st.integers(0, 13),
            st.integers(0, 32),
            st.sampled_from(["", "Z", "+00:00", "+14:00", "-14:00", "+99:00"]),
            st.text(HEX, min_size=32, max_size=32),
        ),
    ),
)
def fuzz_cursor_payload(version: int, payload: bytes) -> None:
    text = base64.urlsafe_b64encode(bytes([version]) + payload).rstrip(b"=").decode()
    try:
        cursor = decode_cursor(text)
    except BadCursor:
        return
    assert cursor.last_activity_at.tzinfo is not None
    assert decode_cursor(encode_cursor(cursor)) == cursor


@given(
    st.datetimes(
        timezones=st.just(UTC), min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)
    ),
    st.text(HEX, min_size=32, max_size=32),
)
def fuzz_cursor_round_trip(at: datetime, ticket_id: str) -> None:
    cursor = Cursor(at, ticket_id)
    assert decode_cursor(encode_cursor(cursor)) == cursor


@given(
    st.one_of(
        TEXT,
        st.text(alphabet="0123456789۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩ -‐–\u00a0\u200c\n\t", max_size=20),
    )
)
def fuzz_tracking_codes_and_search(text: str) -> None:
    code = normalize_tracking_code(text)
    if code is not None:
        assert code.isascii()
        assert code.isdigit()
        assert 6 <= len(code) <= 12
        assert normalize_tracking_code(code) == code
        is_valid_tracking_code(code)
    folded = normalize(text)
    assert normalize(folded) == folded
    assert all(t == normalize(t) for t in tokens(text))
    terms = query_terms(text)
    assert len(set(terms)) == len(terms)


def _multipart(boundary: bytes, parts: list[tuple[bytes, bytes]]) -> bytes:
    body = b""
    for headers, data in parts:
        body += b"--" + boundary + b"\r\n" + headers + b"\r\n\r\n" + data + b"\r\n"
    return body + b"--" + boundary + b"--\r\n"


async def _read(content_type: bytes, body: bytes, cuts: list[int], limit: int) -> Any:
    chunks = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]

    async def receive() -> dict[str, Any]:
        if chunks:
            return {"type": "http.request", "body": chunks.pop(0), "more_body": bool(chunks)}
        return {"type": "http.disconnect"}

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "headers": [(b"content-type", content_type)],
    }
    part = await file_part(Request(scope, receive), "file", max_file_bytes=limit)
    data = b"".join([chunk async for chunk in part.chunks])
    return part.filename, data


BOUNDARY = st.binary(min_size=0, max_size=80).filter(lambda b: b"\r" not in b and b"\n" not in b)
FILENAME = st.text(alphabet=string.printable + PERSIAN, max_size=30).filter(
    lambda n: '"' not in n and "\r" not in n and "\n" not in n
)


@given(
    st.one_of(
        st.builds(lambda b: b"multipart/form-data; boundary=" + b, BOUNDARY),
        st.binary(max_size=80),
        st.sampled_from([b"multipart/form-data", b"application/json", b""]),
    ),
    st.one_of(
        st.binary(max_size=400),
        st.builds(
            lambda b, name, data: _multipart(
                b,
                [
                    (
                        f'Content-Disposition: form-data; name="file"; filename="{name}"'.encode(),
                        data,
                    )
                ],
            ),
            BOUNDARY,
            FILENAME,
            st.binary(max_size=200),
        ),
    ),
    st.lists(st.integers(0, 600), max_size=6).map(sorted),
    st.integers(1, 300),
    st.integers(0, 3),
)
def fuzz_multipart(
    content_type: bytes, body: bytes, cuts: list[int], limit: int, flips: int
) -> None:
    cuts = [c for c in cuts if c < len(body)]
    mutable = bytearray(body)
    for i in range(min(flips, len(mutable))):
        mutable[(i * 7919) % len(mutable)] ^= 0x20
    with contextlib.suppress(MalformedUpload, UploadRejected):
        asyncio.run(_read(content_type, bytes(mutable), sorted(set(cuts)), limit))


# RFC 2046's boundary characters (a comma would need the header value quoted).
RFC_BOUNDARY = st.text(
    alphabet=string.ascii_letters + string.digits + "'()+_-./:=?", min_size=1, max_size=70
).map(str.encode)


@given(RFC_BOUNDARY, FILENAME, st.binary(max_size=300), st.lists(st.integers(0, 600), max_size=6))
def fuzz_multipart_round_trip(boundary: bytes, filename: str, data: bytes, cuts: list[int]) -> None:
    if boundary in data or b"--" + boundary in data:
        return
    disposition = f'Content-Disposition: form-data; name="file"; filename="{filename}"'.encode()
    body = _multipart(boundary, [(disposition, data)])
    cuts = sorted({c for c in cuts if c < len(body)})
    got = asyncio.run(_read(b"multipart/form-data; boundary=" + boundary, body, cuts, 10_000))
    assert got == (filename, data)


SECRET = "a-fuzzing-secret-that-is-long-enough-for-hs256"
VERIFIER = TokenVerifier(hs256_secret=SECRET)
ANY = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), TEXT, st.lists(TEXT, max_size=3),
    st.dictionaries(TEXT, st.integers(), max_size=2),
)  # fmt: skip


@given(
    st.one_of(ANY, TEXT.filter(bool)),
    st.one_of(ANY, st.sampled_from(["customer", "representative", "agent", "admin"])),
    st.one_of(ANY, st.from_regex(r"[A-Za-z0-9_]{1,64}", fullmatch=True), st.just("acme\n")),
    st.one_of(ANY, st.integers(int(time.time()) - 100, int(time.time()) + 10_000)),
    st.one_of(st.none(), ANY),
    st.one_of(st.none(), ANY),
)
def fuzz_jwt_claims(
    sub: Any, role: Any, brand: Any, exp: Any, departments: Any, customers: Any
) -> None:
    claims = {"sub": sub, "role": role, "brand": brand, "exp": exp}
    for name, value in (("departments", departments), ("customers", customers)):
        if value is not None:
            claims[name] = value
    try:
        raw = jwt.encode(claims, SECRET, algorithm="HS256")
    except (TypeError, ValueError, OverflowError):
        return  # not even JSON: no token to send
    try:
        identity = asyncio.run(VERIFIER.verify(raw))
    except Unauthorized:
        return
    assert isinstance(identity, Identity)
    assert BRAND_PATTERN.fullmatch(identity.brand)
    assert identity.role in ("customer", "representative", "agent", "admin")
    assert isinstance(identity.sub, str)
    assert 1 <= len(identity.sub) <= 128
    assert type(identity.exp) is int


@given(st.one_of(TEXT, st.binary(max_size=200).map(lambda b: base64.urlsafe_b64encode(b).decode())))
def fuzz_jwt_text(text: str) -> None:
    try:
        asyncio.run(VERIFIER.verify(text))
    except Unauthorized:
        return
    raise AssertionError(f"accepted {text!r}")


def test_cursor_decoding_only_answers_a_cursor_or_bad_cursor() -> None:
    run(fuzz_cursor_text)
    run(fuzz_cursor_payload)
    run(fuzz_cursor_round_trip)


def test_tracking_code_and_search_normalisation_are_total_and_stable() -> None:
    run(fuzz_tracking_codes_and_search)


def test_the_multipart_wrapper_only_answers_the_file_or_its_own_refusals() -> None:
    run(fuzz_multipart)


def test_the_multipart_wrapper_gives_back_exactly_what_was_sent() -> None:
    run(fuzz_multipart_round_trip)


def test_jwt_claims_either_verify_into_a_sound_identity_or_are_401() -> None:
    run(fuzz_jwt_claims)


def test_jwt_text_that_is_not_a_signed_token_is_401() -> None:
    run(fuzz_jwt_text)
