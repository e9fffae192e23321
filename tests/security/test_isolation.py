"""Isolation: every read and write path, called by every kind of caller on what belongs to
another brand, another customer, a representative's non-customer or another department, answers
as if it did not exist, and no body or header carries a marker of that other party."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from .probe import judge, probe, stream_snapshot
from .world import CALLERS, World

pytestmark = pytest.mark.asyncio(loop_scope="module")
CATEGORY = "isolation"

TICKET_GROUPS = ("A", "B", "G")
CUSTOMER_SIDE = {"customer", "representative"}


def _role(caller: str) -> str:
    return str(CALLERS[caller][0]["role"])


def _foreign(caller: str) -> list[str]:
    return [g for g in TICKET_GROUPS if g not in CALLERS[caller][1]]


@dataclass(frozen=True)
class Case:
    method: str
    path: str  # with {id}, {code}, {upload}
    expect: frozenset[int]
    json: Any = None


def _on_foreign_ticket(caller: str) -> list[Case]:
    patch_refused = frozenset({403, 404}) if _role(caller) in CUSTOMER_SIDE else frozenset({404})
    return [
        Case("GET", "/v1/tickets/{id}", frozenset({404})),
        Case("GET", "/v1/tickets/by-tracking-code/{code}", frozenset({404})),
        Case("GET", "/v1/attachments/{upload}", frozenset({404})),
        Case("POST", "/v1/tickets/{id}/messages", frozenset({404}), {"body": "نفوذ"}),
        Case("POST", "/v1/tickets/{id}/read", frozenset({404})),
        Case("POST", "/v1/tickets/{id}/close", frozenset({404}), {"reason": "بستن"}),
        Case("POST", "/v1/tickets/{id}/reopen", frozenset({404})),
        Case("PATCH", "/v1/tickets/{id}", patch_refused, {"priority": "low"}),
        Case("PATCH", "/v1/tickets/{id}", patch_refused, {"department": "sales"}),
    ]


FOREIGN_TICKET_CASES = [
    (caller, group, case)
    for caller in CALLERS
    for group in _foreign(caller)
    for case in _on_foreign_ticket(caller)
]


@pytest.mark.parametrize(
    ("caller", "group", "case"),
    FOREIGN_TICKET_CASES,
    ids=[f"{c}-{g}-{k.method} {k.path}" for c, g, k in FOREIGN_TICKET_CASES],
)
async def test_another_partys_ticket_is_not_there_for_the_caller(
    world: World, caller: str, group: str, case: Case
) -> None:
    party = world.parties[group]
    path = case.path.format(id=party.ticket_id, code=party.tracking_code, upload=party.upload_id)
    await probe(
        world,
        CATEGORY,
        case.method,
        path,
        caller=caller,
        expect=case.expect,
        headers={"X-Min-Position": str(world.position)} if case.method == "GET" else None,
        json=case.json,
    )


# Where a caller may write, naming an upload that is not theirs to name: another customer's,
# another brand's, one on a ticket of a department the agent does not serve, or an upload that
# only an internal note carries (for the customer side).
OWN_TICKET = {
    "ali": "A",
    "sara": "B",
    "rep_of_ali": "A",
    "agent_tech": "A",
    "agent_fin": "B",
    "admin": "A",
    "globex_ali": "G",
    "globex_admin": "G",
}


def _foreign_uploads(caller: str) -> list[str]:
    """Group names whose ticket upload `caller` may not name."""
    return [g for g in ("A", "A_NOTE", "B", "G") if g not in CALLERS[caller][1]]


NAMING_CASES = [
    (caller, group, where)
    for caller in OWN_TICKET
    for group in _foreign_uploads(caller)
    for where in ("open", "message")
]


def _opening(caller: str, upload: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "تیکت با پیوست دیگران",
        "department": "finance" if OWN_TICKET[caller] == "B" else "technical",
        "priority": "normal",
        "body": "این پیوست مال من نیست.",
        "attachment_ids": [upload],
    }
    if _role(caller) != "customer":
        body["customer_id"] = "cust-sara" if OWN_TICKET[caller] == "B" else "cust-ali"
    return body


@pytest.mark.parametrize(
    ("caller", "group", "where"), NAMING_CASES, ids=[f"{c}-{g}-{w}" for c, g, w in NAMING_CASES]
)
async def test_a_command_may_not_name_an_upload_the_caller_may_not_see(
    world: World, caller: str, group: str, where: str
) -> None:
    ticket = world.parties[OWN_TICKET[caller]].ticket_id
    answers = []
    # Someone else's upload is refused exactly as an id that never existed: no oracle.
    for upload in (world.parties[group].upload_id, "0" * 32):
        if where == "open":
            path, body = "/v1/tickets", _opening(caller, upload)
        else:
            path = f"/v1/tickets/{ticket}/messages"
            body = {"body": "پیوست", "attachment_ids": [upload]}
        response = await probe(
            world, CATEGORY, "POST", path, caller=caller, expect={422}, json=body
        )
        errors = response.json()["errors"]
        assert any(e["field"].startswith("attachment_ids") for e in errors), errors
        answers.append([(e["field"], e["message"].replace(upload, "<id>")) for e in errors])
    assert answers[0] == answers[1]


@pytest.mark.parametrize("caller", [c for c in CALLERS if c != "sara"])
async def test_an_upload_no_ticket_references_is_only_its_uploaders(
    world: World, caller: str
) -> None:
    loose = world.parties["B"].loose_id
    forbidden = world.forbidden(caller) | {"zqSaraLoose", loose}
    await probe(
        world,
        CATEGORY,
        "GET",
        f"/v1/attachments/{loose}",
        caller=caller,
        expect={404},
        forbidden=forbidden,
    )


def _reads(world: World, caller: str) -> list[tuple[str, dict[str, Any], frozenset[int]]]:
    """Every list-like read the caller may make, with filters and searches aimed at the others."""
    ok = frozenset({200})
    reads: list[tuple[str, dict[str, Any], frozenset[int]]] = [
        ("/v1/tickets", {}, ok),
        ("/v1/tickets", {"limit": 100}, ok),
        ("/v1/tickets", {"unread": "true"}, ok),
        ("/v1/counters", {}, ok),
        ("/v1/departments", {}, ok),
        ("/v1/notifications", {}, ok),
        ("/v1/notifications", {"unread": "true"}, ok),
    ]
    for department in ("technical", "finance", "sales"):
        reads.append(("/v1/tickets", {"department": department}, ok))
    for status in range(1, 9):
        reads.append(("/v1/tickets", {"status": status}, ok))
    for group in ("A", "A_NOTE", "B", "G"):
        party = world.parties[group]
        for marker in sorted(party.markers):
            reads.append(("/v1/tickets", {"q": marker}, ok))
        if party.tracking_code:
            reads.append(("/v1/tickets", {"q": party.tracking_code[:4]}, ok))
    reads.append(("/v1/tickets", {"customer_id": "cust-sara"}, ok))  # unknown: ignored
    reads.append(("/v1/tickets", {"brand": "globex"}, ok))
    events = ok if _role(caller) == "admin" else frozenset({403})
    reads.append(("/v1/events", {"after": 0, "limit": 1000}, events))
    preferences = ok if _role(caller) == "customer" else frozenset({403})
    reads.append(("/v1/notifications/preferences", {}, preferences))
    admin_only = ok if _role(caller) == "admin" else frozenset({403})
    reads.append(("/v1/notifications/dead-letters", {}, admin_only))
    reads.append(("/v1/notifications/unconfirmed", {}, admin_only))
    return reads


@pytest.mark.parametrize("caller", list(CALLERS))
async def test_every_list_search_and_counter_shows_the_caller_only_its_own(
    world: World, caller: str
) -> None:
    for path, params, expect in _reads(world, caller):
        await probe(
            world,
            CATEGORY,
            "GET",
            path,
            caller=caller,
            expect=expect,
            headers={"X-Min-Position": str(world.position)},
            params=params,
        )


@pytest.mark.parametrize("caller", list(CALLERS))
async def test_another_callers_notification_cannot_be_read_or_resumed_from(
    world: World, caller: str
) -> None:
    own = set(world.notification_ids[caller])
    others = {n for ids in world.notification_ids.values() for n in ids} - own
    for notification_id in sorted(others):
        await probe(
            world,
            CATEGORY,
            "POST",
            f"/v1/notifications/{notification_id}/read",
            caller=caller,
            expect={404},
        )
        # Resuming a stream after someone else's item must not replay anything of theirs.
        streamed = await stream_snapshot(
            world,
            "/v1/notifications/stream",
            headers={**world.who(caller), "Last-Event-ID": notification_id},
        )
        verdict = judge(CATEGORY, streamed, expect={200}, forbidden=world.forbidden(caller))
        verdict.assert_clean()
        assert "data:" not in streamed.text
    await probe(world, CATEGORY, "POST", "/v1/notifications/read-all", caller=caller, expect={200})


@pytest.mark.parametrize("caller", list(CALLERS))
async def test_the_stream_from_the_callers_first_item_carries_only_its_own(
    world: World, caller: str
) -> None:
    # Resume from before everything: with one's own earliest id the stream replays the rest.
    own = world.notification_ids[caller]
    headers = world.who(caller)
    if own:
        headers["Last-Event-ID"] = own[-1]
    streamed = await stream_snapshot(world, "/v1/notifications/stream", headers=headers)
    judge(CATEGORY, streamed, expect={200}, forbidden=world.forbidden(caller)).assert_clean()
    # The same with the token in the query string, the one place it is accepted.
    token = headers.pop("Authorization").removeprefix("Bearer ")
    streamed = await stream_snapshot(
        world, f"/v1/notifications/stream?access_token={token}", headers=headers
    )
    judge(CATEGORY, streamed, expect={200}, forbidden=world.forbidden(caller)).assert_clean()


@pytest.mark.parametrize(
    "caller", [c for c, (claims, _) in CALLERS.items() if claims["role"] == "customer"]
)
async def test_preferences_are_the_callers_own(world: World, caller: str) -> None:
    address = f"zq-{caller}-pref@example.com"
    body = {"email": True, "email_address": address}
    await probe(
        world,
        CATEGORY,
        "PUT",
        "/v1/notifications/preferences",
        caller=caller,
        expect={200},
        json=body,
    )
    for other in CALLERS:
        if other == caller or _role(other) != "customer":
            continue
        seen = await probe(
            world,
            CATEGORY,
            "GET",
            "/v1/notifications/preferences",
            caller=other,
            expect={200},
            forbidden={address},
        )
        assert seen.status_code == 200
