"""JSON may carry a lone surrogate (`"\\ud800"`), which UTF-8 storage cannot hold: every text
field of every service is refused at the edge with a 422 naming the field, never a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from .composition import Composed, composed
from .query_fixtures import OPENING, admin, agent, customer

LONE = "\\ud800"  # as it appears in the JSON text
LOW = "\\udfff"


@pytest.fixture(params=[False, True], ids=["memory", "disk"])
async def world(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Composed]:
    async with composed(tmp_path, on_disk=request.param) as made:
        yield made


def body(fields: dict[str, str], raw: str) -> bytes:
    """A JSON object of `fields` plus one `raw` member as written (its escapes kept)."""
    members = [f'"{name}":"{value}"' for name, value in fields.items()] + [raw]
    return ("{" + ",".join(members) + "}").encode()


async def send(
    world: Composed, method: str, path: str, who: dict[str, str], content: bytes
) -> httpx.Response:
    headers = {**who, "Content-Type": "application/json"}
    return await world.client.request(method, path, content=content, headers=headers)


def assert_refused(response: httpx.Response, field: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422
    assert {"type", "title", "detail"} <= set(problem)
    assert [e["field"] for e in problem["errors"]] == [field]


@pytest.mark.parametrize("field", ["title", "body", "department", "priority", "request_type"])
@pytest.mark.parametrize("escape", [LONE, LOW, f"سلام{LONE}", f"{LOW}{LONE}"])
async def test_opening_a_ticket_with_a_lone_surrogate_in_any_field_is_a_422_naming_it(
    world: Composed, field: str, escape: str
) -> None:
    others = {k: v for k, v in OPENING.items() if k != field}
    response = await send(
        world, "POST", "/v1/tickets", customer(), body(others, f'"{field}":"{escape}"')
    )
    assert_refused(response, field)


async def test_every_command_and_preference_with_a_lone_surrogate_is_a_422_naming_the_field(
    world: Composed,
) -> None:
    ticket = (await world.desk.open(customer()))["ticket_id"]
    cases = [
        ("POST", f"/v1/tickets/{ticket}/messages", customer(), {}, f'"body":"{LONE}"', "body"),
        ("POST", f"/v1/tickets/{ticket}/close", customer(), {}, f'"reason":"{LONE}"', "reason"),
        ("PATCH", f"/v1/tickets/{ticket}", admin(), {}, f'"assignee_id":"a{LONE}"', "assignee_id"),
        (
            "POST",
            f"/v1/tickets/{ticket}/messages",
            agent(),
            {"body": "ok"},
            f'"attachment_ids":["{LONE}"]',
            "attachment_ids.0",
        ),
        (
            "PUT",
            "/v1/notifications/preferences",
            customer(),
            {},
            f'"email":true,"email_address":"a{LONE}@example.com"',
            "email_address",
        ),
        (
            "PUT",
            "/v1/notifications/preferences",
            customer(),
            {},
            f'"sms":true,"phone":"0912{LONE}"',
            "phone",
        ),
    ]
    for method, path, who, fields, raw, field in cases:
        assert_refused(await send(world, method, path, who, body(fields, raw)), field)


async def test_a_lone_surrogate_in_a_member_name_is_refused_too(world: Composed) -> None:
    raw = body(OPENING, f'"x{LONE}":"y"')
    response = await send(world, "POST", "/v1/tickets", customer(), raw)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "x\\ud800"


async def test_escaped_pairs_and_escaped_backslashes_are_ordinary_text(world: Composed) -> None:
    # An emoji written as a surrogate pair, and the six characters `\ud800` themselves.
    title = "\\ud83d\\ude00 \\\\ud800"
    response = await send(
        world,
        "POST",
        "/v1/tickets",
        customer(),
        body(OPENING | {"title": title}, '"priority":"high"'),
    )
    assert response.status_code == 201, response.text
