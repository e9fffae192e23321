"""The one guard against lone surrogates in JSON bodies (`ticketing_web.json_text`): which
bodies it looks into, what it names, and that it leaves everything else to the route."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel
from ticketing_web import TokenVerifier, build_app
from ticketing_web.json_text import lone_surrogate_fields


class Note(BaseModel):
    body: str


def app_with_a_json_route() -> Any:
    async def ready() -> bool:
        return True

    app = build_app(
        title="guard under test",
        service="guard",
        version="1",
        token_verifier=TokenVerifier(hs256_secret="s" * 32),
        max_body_bytes=64 * 1024,
        readiness=ready,
        body_limit_exempt=("/upload",),
    )

    @app.post("/notes")
    async def post_note(note: Note) -> dict[str, int]:
        return {"length": len(note.body)}

    @app.post("/upload")
    async def upload() -> dict[str, str]:
        return {"stored": "yes"}

    return app


async def post(path: str, content: bytes, content_type: str | None) -> httpx.Response:
    app = app_with_a_json_route()
    headers = {"Content-Type": content_type} if content_type else {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as c:
        return await c.post(path, content=content, headers=headers)


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "application/merge-patch+json", None],
)
async def test_a_json_body_with_a_lone_surrogate_is_422_naming_the_field(
    content_type: str | None,
) -> None:
    response = await post("/notes", b'{"body": "\\ud800"}', content_type)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "body"


@pytest.mark.parametrize(
    "body",
    [
        b'{"body": "\\ud83d\\ude00"}',  # a pair: one emoji
        b'{"body": "\\\\ud800"}',  # an escaped backslash, then the letters "ud800"
        b'{"body": "\\u0645\\u0631\\u06cc\\u0645"}',
    ],
    ids=["pair", "escaped backslash", "persian"],
)
async def test_paired_and_escaped_text_reaches_the_route(body: bytes) -> None:
    response = await post("/notes", body, "application/json")
    assert response.status_code == 200, response.text


async def test_malformed_json_is_left_to_the_route_and_exempt_paths_are_not_read() -> None:
    malformed = await post("/notes", b'{"body": "\\ud800"', "application/json")
    assert malformed.status_code == 400
    exempt = await post("/upload", b'{"file": "\\ud800"}', "application/json")
    assert exempt.status_code == 200


def test_every_place_in_a_document_is_named() -> None:
    document = json.loads('{"a": ["ok", {"b": "\\udc00"}], "\\ud800x": 1, "c": "\\ud800"}')
    assert list(lone_surrogate_fields(document)) == ["a.1.b", "\\ud800x", "c"]
    assert list(lone_surrogate_fields(json.loads('"\\ud800"'))) == ["body"]


@given(st.recursive(st.text(), lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner)))
def test_a_document_is_named_exactly_when_its_text_cannot_be_utf8(document: object) -> None:
    named = list(lone_surrogate_fields(document))
    try:
        json.dumps(document, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        assert named
    else:
        assert named == []
