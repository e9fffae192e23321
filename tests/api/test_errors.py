"""Every error path of the command API: problem+json, the right 4xx, nothing written."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import jwt
import pytest
from ticketing_tickets.settings import DEV_JWT_SECRET

from .conftest import NEW_TICKET, Auth

AGENT = {"role": "agent", "sub": "agent-1", "departments": ["technical"]}


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status
    return body


async def history(client: httpx.AsyncClient, auth: Auth) -> list[dict[str, Any]]:
    response = await client.get(
        "/v1/events", params={"limit": 1000}, headers=auth(role="admin", sub="a")
    )
    return [json.loads(line) for line in response.text.splitlines()]


def forged(
    claims: dict[str, Any], *, key: str = DEV_JWT_SECRET, alg: str = "HS256"
) -> dict[str, str]:
    return {"Authorization": f"Bearer {jwt.encode(claims, key, algorithm=alg)}"}


GOOD_CLAIMS = {"sub": "cust-1", "role": "customer", "brand": "acme"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic Y3VzdDoxMjM="},
        {"Authorization": "Bearer not.a.jwt"},
        {"Authorization": "Bearer "},
        forged(
            {**GOOD_CLAIMS, "exp": int(time.time()) + 60},
            key="another-secret-that-is-long-enough-to-sign",
        ),
        forged({**GOOD_CLAIMS, "exp": int(time.time()) - 3600}),
        forged({**GOOD_CLAIMS, "exp": int(time.time()) + 60}, alg="none", key=""),
        forged({**GOOD_CLAIMS, "role": "superuser", "exp": int(time.time()) + 60}),
        forged({**GOOD_CLAIMS, "brand": "acme-corp", "exp": int(time.time()) + 60}),
        # `$` lets a trailing newline through; the brand check is a full match.
        forged({**GOOD_CLAIMS, "brand": "acme\n", "exp": int(time.time()) + 60}),
        forged({"sub": "cust-1", "role": "customer", "exp": int(time.time()) + 60}),
        forged({**GOOD_CLAIMS}),
    ],
    ids=[
        "missing",
        "basic",
        "garbage",
        "empty",
        "wrong-key",
        "expired",
        "alg-none",
        "unknown-role",
        "bad-brand",
        "brand-with-newline",
        "no-brand",
        "no-exp",
    ],
)
async def test_unacceptable_tokens_are_401(
    client: httpx.AsyncClient, auth: Auth, headers: dict[str, str]
) -> None:
    response = await client.post("/v1/tickets", json=NEW_TICKET, headers=headers)
    assert_problem(response, 401)
    assert await history(client, auth) == []


async def test_another_brands_or_customers_ticket_is_404_for_every_command(
    client: httpx.AsyncClient, auth: Auth, open_ticket: Any
) -> None:
    tid = (await open_ticket())["ticket_id"]
    outsiders = [
        auth(sub="cust-2"),
        auth(brand="globex"),
        auth(role="admin", sub="admin-9", brand="globex"),
        auth(role="representative", sub="rep-2", customers=["cust-2"]),
        auth(role="agent", sub="agent-2", departments=["finance"]),
    ]
    for headers in outsiders:
        for method, path, body in [
            ("POST", f"/v1/tickets/{tid}/messages", {"body": "سلام"}),
            ("POST", f"/v1/tickets/{tid}/read", None),
            ("POST", f"/v1/tickets/{tid}/close", None),
            ("POST", f"/v1/tickets/{tid}/reopen", None),
        ]:
            response = await client.request(method, path, json=body, headers=headers)
            assert_problem(response, 404)
    assert len(await history(client, auth)) == 1


@pytest.mark.parametrize("bad_id", ["nope", "0" * 31, "G" * 32, "../etc/passwd", "0" * 33])
async def test_a_malformed_or_unknown_ticket_id_is_404(
    client: httpx.AsyncClient, auth: Auth, bad_id: str
) -> None:
    assert_problem(await client.post(f"/v1/tickets/{bad_id}/read", headers=auth()), 404)
    assert_problem(await client.post(f"/v1/tickets/{'a' * 32}/read", headers=auth()), 404)


async def test_a_customer_patch_is_403_and_writes_nothing(
    client: httpx.AsyncClient, auth: Auth, open_ticket: Any
) -> None:
    tid = (await open_ticket())["ticket_id"]
    assert_problem(
        await client.patch(f"/v1/tickets/{tid}", json={"priority": "urgent"}, headers=auth()), 403
    )
    assert len(await history(client, auth)) == 1


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({**NEW_TICKET, "title": "  "}, {"title"}),
        ({**NEW_TICKET, "title": "ع" * 201}, {"title"}),
        ({**NEW_TICKET, "body": ""}, {"body"}),
        ({**NEW_TICKET, "department": "sales"}, {"department"}),
        ({**NEW_TICKET, "priority": "critical"}, {"priority"}),
        ({**NEW_TICKET, "request_type": "legal"}, {"request_type"}),
        ({**NEW_TICKET, "attachment_ids": ["att-1"]}, {"attachment_ids"}),
        ({**NEW_TICKET, "colour": "blue"}, {"colour"}),
        ({**NEW_TICKET, "title": 42}, {"title"}),
        ({k: v for k, v in NEW_TICKET.items() if k != "department"}, {"department"}),
        ({**NEW_TICKET, "customer_id": "cust-2"}, None),
    ],
    ids=[
        "blank-title",
        "long-title",
        "empty-body",
        "department",
        "priority",
        "request-type",
        "attachments",
        "unknown-field",
        "title-type",
        "missing-department",
        "other-customer",
    ],
)
async def test_bad_openings_name_each_bad_field_and_write_nothing(
    client: httpx.AsyncClient, auth: Auth, payload: dict[str, Any], fields: set[str] | None
) -> None:
    response = await client.post("/v1/tickets", json=payload, headers=auth())
    if fields is None:
        assert_problem(response, 403)
    else:
        body = assert_problem(response, 422)
        assert {e["field"] for e in body["errors"]} == fields
    assert await history(client, auth) == []


async def test_agent_only_message_fields_from_a_customer_are_422(
    client: httpx.AsyncClient, auth: Auth, open_ticket: Any
) -> None:
    tid = (await open_ticket())["ticket_id"]
    for field in ("follow_up", "internal"):
        response = await client.post(
            f"/v1/tickets/{tid}/messages", json={"body": "سلام", field: True}, headers=auth()
        )
        assert {e["field"] for e in assert_problem(response, 422)["errors"]} == {field}
    assert len(await history(client, auth)) == 1


@pytest.mark.parametrize(
    ("content", "status"),
    [(b'{"title": ', 400), (b"\xff\xfe{}", 400), (b"[1, 2]", 422), (b"null", 422)],
    ids=["truncated", "invalid-utf8", "array", "null"],
)
async def test_malformed_bodies_are_4xx(
    client: httpx.AsyncClient, auth: Auth, content: bytes, status: int
) -> None:
    response = await client.post(
        "/v1/tickets", content=content, headers={**auth(), "Content-Type": "application/json"}
    )
    assert_problem(response, status)


async def test_a_body_over_the_configured_size_is_413(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    big = {**NEW_TICKET, "body": "ب" * 40_000}  # 80 kB of UTF-8 over a 64 KiB limit
    assert_problem(await client.post("/v1/tickets", json=big, headers=auth()), 413)

    async def chunks() -> Any:  # no Content-Length: counted while it streams
        for _ in range(100):
            yield b"x" * 1024

    response = await client.post(
        "/v1/tickets", content=chunks(), headers={**auth(), "Content-Type": "application/json"}
    )
    assert_problem(response, 413)
    assert await history(client, auth) == []


async def test_if_match_on_a_stale_version_is_412_and_on_the_current_one_succeeds(
    client: httpx.AsyncClient, auth: Auth, open_ticket: Any
) -> None:
    tid = (await open_ticket())["ticket_id"]
    stale = await client.post(
        f"/v1/tickets/{tid}/messages", json={"body": "سلام"}, headers={**auth(), "If-Match": '"7"'}
    )
    assert assert_problem(stale, 412)["current_version"] == 1
    ok = await client.post(
        f"/v1/tickets/{tid}/messages", json={"body": "سلام"}, headers={**auth(), "If-Match": "1"}
    )
    assert ok.status_code == 201
    assert ok.json()["version"] == 2
    quoted = await client.post(f"/v1/tickets/{tid}/close", headers={**auth(), "If-Match": '"2"'})
    assert quoted.status_code == 200
    assert_problem(
        await client.post(f"/v1/tickets/{tid}/reopen", headers={**auth(), "If-Match": "abc"}), 400
    )


async def test_an_idempotency_key_replays_the_first_response_and_writes_once(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    headers = {**auth(), "Idempotency-Key": "open-1"}
    first = await client.post("/v1/tickets", json=NEW_TICKET, headers=headers)
    second = await client.post(
        "/v1/tickets", json=dict(reversed(NEW_TICKET.items())), headers=headers
    )
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert len(await history(client, auth)) == 1
    different = await client.post(
        "/v1/tickets", json={**NEW_TICKET, "title": "دیگر"}, headers=headers
    )
    assert_problem(different, 422)
    other_user = await client.post(
        "/v1/tickets", json=NEW_TICKET, headers={**auth(sub="cust-2"), "Idempotency-Key": "open-1"}
    )
    assert other_user.status_code == 201
    assert other_user.json()["ticket_id"] != first.json()["ticket_id"]


async def test_an_idempotent_message_posts_once(
    client: httpx.AsyncClient, auth: Auth, open_ticket: Any
) -> None:
    tid = (await open_ticket())["ticket_id"]
    headers = {**auth(), "Idempotency-Key": "msg-1"}
    responses = [
        await client.post(f"/v1/tickets/{tid}/messages", json={"body": "یک بار"}, headers=headers)
        for _ in range(3)
    ]
    assert {r.json()["message_id"] for r in responses} == {responses[0].json()["message_id"]}
    assert len(await history(client, auth)) == 2


async def test_refusals_are_replayed_too(client: httpx.AsyncClient, auth: Auth) -> None:
    headers = {**auth(), "Idempotency-Key": "bad-1"}
    payload = {**NEW_TICKET, "priority": "asap"}
    first = await client.post("/v1/tickets", json=payload, headers=headers)
    second = await client.post("/v1/tickets", json=payload, headers=headers)
    assert_problem(first, 422)
    assert second.status_code == 422
    assert second.json() == first.json()


async def test_history_is_for_admins_only_and_checks_its_parameters(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    for role in ("customer", "agent", "representative"):
        assert_problem(await client.get("/v1/events", headers=auth(role=role, sub="x")), 403)
    admin = auth(role="admin", sub="admin-1")
    for params in ({"limit": 0}, {"limit": 1001}, {"after": -1}, {"after": "x"}, {"after": 10**30}):
        assert_problem(await client.get("/v1/events", params=params, headers=admin), 422)


async def test_an_unknown_path_is_a_problem_too(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/v1/nothing-here"), 404)
