"""The request edge every app built by `build_app` has (`ticketing_web.edge.ServiceEdge`): one
middleware doing what four did, in their order, so a refusal it answers itself is still in the
request's language, carries the correlation id, is counted and reaches the route untouched
otherwise."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import Request
from pydantic import BaseModel
from ticketing_web import TokenVerifier, build_app
from ticketing_web.edge import ServiceEdge

MAX_BODY = 1024
PERSIAN_TEXT = "لطفاً پیش فاکتور ارتقای پنل را بفرستید."


class Note(BaseModel):
    body: str


def app_with_routes() -> Any:
    async def ready() -> bool:
        return True

    app = build_app(
        title="edge under test",
        service="edge",
        version="1",
        token_verifier=TokenVerifier(hs256_secret="s" * 32),
        max_body_bytes=MAX_BODY,
        readiness=ready,
        body_limit_exempt=("/upload",),
    )

    @app.post("/notes")
    async def post_note(note: Note) -> dict[str, str]:
        return {"body": note.body}

    @app.post("/upload")
    async def upload(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    return app


async def send(app: Any, path: str, content: bytes, **headers: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as c:
        return await c.post(path, content=content, headers=headers)


def test_build_app_installs_the_edge_as_its_only_middleware_of_ours() -> None:
    app = app_with_routes()
    assert [m.cls for m in app.user_middleware] == [ServiceEdge]


@pytest.mark.parametrize(
    ("label", "content", "status"),
    [
        ("too large", b'{"body": "' + b"x" * MAX_BODY + b'"}', 413),
        ("lone surrogate", b'{"body": "\\ud800"}', 422),
        ("surrogate as bytes", b'{"body": "\xed\xa0\x80"}', 400),
    ],
)
async def test_a_refusal_of_the_edge_is_persian_problem_json_with_the_id_and_counted(
    label: str, content: bytes, status: int
) -> None:
    app = app_with_routes()
    response = await send(
        app,
        "/notes",
        content,
        **{
            "Content-Type": "application/json",
            "Accept-Language": "fa, en;q=0.5",
            "X-Correlation-Id": f"edge-{status}",
        },
    )
    assert response.status_code == status, label
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-correlation-id"] == f"edge-{status}"
    problem = response.json()
    assert problem["status"] == status
    assert any("\u0600" <= ch <= "\u06ff" for ch in problem["title"]), problem  # Persian
    metrics = await httpx.AsyncClient(transport=httpx.ASGITransport(app)).get("http://t/metrics")
    expected = f'route="unmatched",service="edge",status="{status}"'
    assert expected in metrics.text


async def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_read() -> None:
    app = app_with_routes()

    async def never() -> dict[str, Any]:
        raise AssertionError("the edge read a body it had already refused")

    sent: list[dict[str, Any]] = []

    async def collect(message: Any) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/notes",
        "raw_path": b"/notes",
        "query_string": b"",
        "headers": [(b"content-length", str(MAX_BODY + 1).encode())],
        "http_version": "1.1",
        "scheme": "http",
        "server": ("t", 80),
        "client": ("c", 1),
        "root_path": "",
    }
    await app(scope, never, collect)
    assert sent[0]["type"] == "http.response.start"
    assert sent[0]["status"] == 413


async def test_a_good_body_reaches_the_route_whole_and_an_exempt_path_is_not_limited() -> None:
    app = app_with_routes()
    good = await send(
        app,
        "/notes",
        f'{{"body": "{PERSIAN_TEXT}"}}'.encode(),
        **{"Content-Type": "application/json"},
    )
    assert good.status_code == 200, good.text
    assert good.json() == {"body": PERSIAN_TEXT}
    assert len(good.headers["x-correlation-id"]) == 32  # none given: a new one
    big = await send(app, "/upload", b'{"body": "\\ud800' + b"x" * MAX_BODY + b'"}')
    assert big.status_code == 200, big.text
    assert big.json() == {"size": MAX_BODY + 18}
