"""Every panel page, as a person meets it: Persian, right to left, no sideways scrolling at a
phone's width, screenshots at 360 and 1280 px for people to look at; and sign-in's refusals."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import jwt
import pytest

from .live import LiveServer, token_for
from .panel import persian_digits, shoot


def _opened(server: LiveServer, token: str) -> dict[str, Any]:
    with server.api(token) as api:
        response = api.post(
            "/v1/tickets",
            json={
                "title": "درخواست ارتقای سرویس میزبانی",
                "department": "upgrade",
                "priority": "normal",
                "body": "لطفاً سرویس ما را به پلن حرفه‌ای ارتقا دهید.",
            },
        )
        assert response.status_code == 201, response.text
        opened: dict[str, Any] = response.json()
        return opened


def test_every_page_is_persian_right_to_left_and_fits_a_phone(
    server: LiveServer, people: Any, screenshots: Path
) -> None:
    token = token_for("customer", "c-pages", name="نرگس صالحی")
    opened = _opened(server, token)
    customer = people(token)
    customer.sign_in("/panel/tickets")
    pages = {
        "tickets": "/panel/tickets",
        "new-ticket": "/panel/tickets/new",
        "ticket": f"/panel/tickets/{opened['ticket_id']}",
        "track": "/panel/track",
        "notifications": "/panel/notifications",
        "not-found": "/panel/tickets/00000000-0000-4000-8000-000000000000",
    }
    for name, path in pages.items():
        customer.goto(path)
        html = customer.page.locator("html")
        assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("fa", "rtl"), path
        shoot(customer.page, screenshots, f"page-{name}")

    # A tracking code typed in Persian digits with a hyphen finds the ticket.
    code = persian_digits(opened["tracking_code"])
    customer.goto(f"/panel/track?code={code[:4]}-{code[4:]}")
    assert customer.page.url.endswith(f"/panel/tickets/{opened['ticket_id']}")

    signed_out = people(token)
    response = signed_out.goto("/panel/tickets")
    assert response.status == 401
    assert signed_out.page.locator("html").get_attribute("lang") == "fa"
    shoot(signed_out.page, screenshots, "signed-out")
    signed_out.goto("/panel/login")
    shoot(signed_out.page, screenshots, "dev-login")


def _unsigned(claims: dict[str, Any]) -> str:
    header = jwt.utils.base64url_encode(b'{"alg":"none","typ":"JWT"}').decode()
    body = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
    return f"{header}.{body}."


@pytest.mark.parametrize("kind", ["expired", "alg none", "wrong key", "garbage"])
def test_a_bad_sign_in_token_is_a_persian_401_and_sets_no_cookie(
    server: LiveServer, people: Any, kind: str
) -> None:
    now = int(time.time())
    claims = {"sub": "c-bad", "role": "customer", "brand": "acme", "iat": now, "exp": now + 600}
    token = {
        "expired": token_for("customer", "c-bad", ttl=-60),
        "alg none": _unsigned(claims),
        "wrong key": jwt.encode(claims, "x" * 64, algorithm="HS256"),
        "garbage": "not.a.token",
    }[kind]
    visitor = people(token)
    response = visitor.goto(f"/panel/sso?jwt={token}&return_to=/panel/tickets")
    assert response.status == 401
    assert visitor.page.locator("html").get_attribute("lang") == "fa"
    assert visitor.context.cookies() == []
