"""An Idempotency-Key is the caller's own: no choice of `sub` or key, separators included,
replays another user's stored response (the scope once joined its parts with '|')."""

from __future__ import annotations

import httpx
import pytest

from .conftest import NEW_TICKET, Auth


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # (sub, key) of the user who writes first, then of the one who tries to replay it.
        (("alice", "POST|/v1/tickets|k2"), ("alice|POST|/v1/tickets", "k2")),
        (("x|POST|/v1/tickets|a", "b"), ("x", "a|POST|/v1/tickets|b")),
        (("مریم", 'k","x'), ('مریم","k', "x")),
    ],
    ids=["path in the sub", "path in the key", "quotes"],
)
async def test_a_sub_or_key_holding_the_separator_never_replays_another_users_response(
    client: httpx.AsyncClient, auth: Auth, first: tuple[str, str], second: tuple[str, str]
) -> None:
    (first_sub, first_key), (second_sub, second_key) = first, second
    written = await client.post(
        "/v1/tickets",
        json=NEW_TICKET,
        headers={**auth(sub=first_sub), "Idempotency-Key": first_key},
    )
    assert written.status_code == 201, written.text
    other = await client.post(
        "/v1/tickets",
        json=NEW_TICKET,
        headers={**auth(sub=second_sub), "Idempotency-Key": second_key},
    )
    assert other.status_code == 201, other.text
    assert "idempotent-replayed" not in other.headers
    assert other.json()["ticket_id"] != written.json()["ticket_id"]
    # Each user's own retry still replays its own response.
    again = await client.post(
        "/v1/tickets",
        json=NEW_TICKET,
        headers={**auth(sub=second_sub), "Idempotency-Key": second_key},
    )
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == other.json()
