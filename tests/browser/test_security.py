"""What the panel must never do, checked in a real browser: show a customer an internal note,
lose what was typed, reveal a foreign ticket, write without its CSRF token, or run user text."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from .live import OTHER_BRAND, LiveServer, token_for
from .panel import choose, created_ticket_id, form, png, shoot, submit, until, upload


def _open_by_api(server: LiveServer, token: str, title: str, body: str) -> dict[str, Any]:
    with server.api(token) as api:
        response = api.post(
            "/v1/tickets",
            json={"title": title, "department": "technical", "priority": "normal", "body": body},
        )
        assert response.status_code == 201, response.text
        opened: dict[str, Any] = response.json()
        return opened


def _message_count(server: LiveServer, token: str, ticket_id: str, position: int) -> int:
    with server.api(token) as api:
        response = api.get(f"/v1/tickets/{ticket_id}", headers={"X-Min-Position": str(position)})
        assert response.status_code == 200, response.text
        return len(response.json()["messages"])


def _everything_the_browser_received(person: Any) -> str:
    """Every response body the person's browser got, and the page as it stands."""
    return "\n".join([person.page.content(), *person.received])


def test_an_internal_note_and_its_file_never_reach_the_customers_browser(
    server: LiveServer, people: Any
) -> None:
    customer_token = token_for("customer", "c-note", name="سارا احمدی")
    opened = _open_by_api(
        server, customer_token, "قطعی اینترنت در شعبه کرج", "از صبح امروز اینترنت شعبه قطع است."
    )
    ticket_id = opened["ticket_id"]

    # The customer is signed in and listening to the live stream while the agent writes.
    customer = people(customer_token)
    customer.record_everything()
    customer.sign_in("/panel/notifications")
    customer.page.evaluate(
        """() => {
            window.__streamed = [];
            const source = new EventSource('/panel/notifications/stream');
            source.onmessage = (event) => window.__streamed.push(event.data);
        }"""
    )

    agent = people(token_for("agent", "a-note", name="رضا کریمی", departments=["technical"]))
    agent.sign_in(f"/panel/tickets/{ticket_id}")
    note = form(agent.page, f"/panel/tickets/{ticket_id}/reply")
    note.locator("[name=body]").fill("یادداشت داخلی: مشتری بدهی معوق دارد، فعلاً پیگیری نشود")
    note.locator("[name=files]").set_input_files([upload("گزارش-بدهی.png", png(), "image/png")])
    note.locator("[name=internal]").check()
    submit(note)
    # Then a visible reply: once the customer's stream has it, it has had every earlier event.
    reply = form(agent.page, f"/panel/tickets/{ticket_id}/reply")
    reply.locator("[name=body]").fill("سلام، قطعی شعبه کرج را پیگیری می‌کنیم.")
    submit(reply)
    customer.page.wait_for_function(
        "() => window.__streamed.some((data) => data.includes('agent_replied'))", timeout=5000
    )
    streamed = customer.page.evaluate("() => window.__streamed.join('\\n')")

    def internal_notes() -> list[dict[str, Any]]:
        with server.api(agent.token) as api:
            messages = api.get(f"/v1/tickets/{ticket_id}").json()["messages"]
        return [m for m in messages if m["internal"]]

    internal = until(internal_notes, what="the internal note in the agent's view")
    assert len(internal) == 1, internal
    hidden_id = internal[0]["attachments"][0]["attachment_id"]

    for path in ("/panel/tickets", f"/panel/tickets/{ticket_id}", "/panel/notifications"):
        customer.goto(path)
    customer.goto(f"/panel/tickets?q={'بدهی'}")
    customer.goto(f"/panel/tickets/{ticket_id}")
    assert "قطعی شعبه کرج را پیگیری" in customer.page.inner_text("main")
    received = "\n".join([_everything_the_browser_received(customer), streamed])
    for secret in ("بدهی معوق", "یادداشت داخلی", "گزارش-بدهی.png", hidden_id):
        assert secret not in received


def test_a_form_with_an_error_keeps_everything_typed_and_names_the_field(
    server: LiveServer, people: Any
) -> None:
    customer = people(token_for("customer", "c-form"))
    customer.sign_in("/panel/tickets/new")
    new = form(customer.page, "/panel/tickets/new")
    body = "شماره فاکتور ۱۴۰۳-۲۲۷ دوبار از حساب کسر شده است."
    new.locator("[name=title]").fill("   ")  # passes the browser's `required`, not the server
    choose(new, "department", "refunds")
    choose(new, "priority", "urgent")
    new.locator("[name=body]").fill(body)
    fresh = set(new.inner_text().splitlines())
    with customer.page.expect_response(lambda r: r.request.method == "POST") as answer:
        new.get_by_role("button", name="ارسال تیکت").click()
    assert answer.value.status == 422
    again = form(customer.page, "/panel/tickets/new")
    assert again.locator("[name=body]").input_value() == body
    assert (
        again.locator("[name=department]").first.evaluate(
            "el => el.tagName === 'SELECT' ? el.value"
            " : document.querySelector('[name=department]:checked').value"
        )
        == "refunds"
    )
    added = set(again.inner_text().splitlines()) - fresh
    assert any(re.search("[\u0600-\u06ff]", line) for line in added), added


@pytest.mark.parametrize(
    "whose",
    ["another customer's", "another brand's", "no one's", "a malformed id"],
)
def test_a_ticket_the_person_may_not_see_is_the_persian_404_page(
    server: LiveServer, people: Any, whose: str
) -> None:
    owner = {
        "another customer's": token_for("customer", "c-owner"),
        "another brand's": token_for("customer", "c-stranger", brand=OTHER_BRAND),
    }
    if whose in owner:
        ticket_id = _open_by_api(server, owner[whose], "مشکل ورود", "رمز عبور پذیرفته نمی‌شود.")[
            "ticket_id"
        ]
    else:
        ticket_id = str(uuid.uuid4()) if whose == "no one's" else "not-a-ticket"
    stranger = people(token_for("customer", "c-stranger"))
    stranger.sign_in("/panel/tickets")
    response = stranger.goto(f"/panel/tickets/{ticket_id}")
    assert response.status == 404
    assert stranger.page.locator("html").get_attribute("lang") == "fa"
    assert "پیدا نشد" in stranger.page.inner_text("main")
    assert "مشکل ورود" not in stranger.page.content()


def test_a_post_without_its_csrf_token_writes_nothing(server: LiveServer, people: Any) -> None:
    token = token_for("customer", "c-csrf")
    opened = _open_by_api(server, token, "سوال درباره تمدید", "تمدید سالانه چقدر است؟")
    ticket_id, position = opened["ticket_id"], opened["position"]
    customer = people(token)
    customer.sign_in(f"/panel/tickets/{ticket_id}")
    reply = f"{server.url}/panel/tickets/{ticket_id}/reply"
    origin = {"Origin": server.url}
    good = customer.page.locator("[name=csrf_token]").first.input_value()
    attempts = [
        ({"body": "بدون توکن"}, origin),
        ({"body": "توکن غلط", "csrf_token": "x" + good[1:]}, origin),
        ({"body": "از سایت دیگر", "csrf_token": good}, {"Origin": "https://evil.example"}),
    ]
    for fields, headers in attempts:
        answer = customer.context.request.post(reply, form=fields, headers=headers)
        assert answer.status == 403, fields
    assert _message_count(server, token, ticket_id, position) == 1
    close = f"{server.url}/panel/tickets/{ticket_id}/close"
    assert customer.context.request.post(close, form={"reason": "x"}, headers=origin).status == 403
    with server.api(token) as api:
        assert api.get(f"/v1/tickets/{ticket_id}").json()["closed"] is False


def test_html_script_and_bidi_controls_in_a_title_and_body_render_as_text(
    server: LiveServer, people: Any, screenshots: Path
) -> None:
    hostile_title = '<img src=x onerror=alert(1)>"><script>alert(2)</script>\u202eفاکتور'
    hostile_body = (
        "<b id=injected>سلام</b><svg onload=alert(3)></svg>\u2067پاسخ\u2069 javascript:alert(4)"
    )
    customer = people(token_for("customer", "c-xss", name="<i id=injected-name>نام</i>"))
    customer.sign_in("/panel/tickets/new")
    new = form(customer.page, "/panel/tickets/new")
    new.locator("[name=title]").fill(hostile_title)
    choose(new, "department", "technical")
    choose(new, "priority", "low")
    new.locator("[name=body]").fill(hostile_body)
    new.get_by_role("button", name="ارسال تیکت").click()
    ticket_id = created_ticket_id(customer.page)
    agent = people(token_for("agent", "a-xss", departments=["technical"]))
    agent.sign_in("/panel/tickets")
    for person, path in (
        (customer, f"/panel/tickets/{ticket_id}"),
        (customer, "/panel/tickets"),
        (agent, "/panel/tickets"),
        (agent, f"/panel/tickets/{ticket_id}"),
    ):
        person.goto(path)
        page = person.page
        assert page.locator("#injected, #injected-name, img[src=x], svg[onload]").count() == 0
        until(lambda page=page: hostile_title in page.inner_text("body"), what=f"title on {path}")
        isolated = page.locator("bdi, [dir=auto]").filter(has_text="فاکتور")
        assert isolated.count() >= 1, f"the title is not bidi-isolated on {path}"
    assert "پاسخ" in agent.page.inner_text("body")
    shoot(agent.page, screenshots, "hostile-ticket")
    assert customer.dialogs == []
    assert agent.dialogs == []


def test_a_reply_with_a_refused_file_keeps_the_typed_text_and_says_why_in_persian(
    server: LiveServer, people: Any
) -> None:
    token = token_for("customer", "c-refused-file")
    ticket_id = _open_by_api(server, token, "ارسال فایل نصبی", "فایل نصب را می‌فرستم.")["ticket_id"]
    customer = people(token)
    customer.sign_in(f"/panel/tickets/{ticket_id}")
    reply = form(customer.page, f"/panel/tickets/{ticket_id}/reply")
    typed = "این هم فایل نصب برنامه، لطفاً بررسی کنید."
    reply.locator("[name=body]").fill(typed)
    program = b"MZ\x90\x00" + b"\x00" * 60 + b"PE\x00\x00" + b"\x00" * 200
    reply.locator("[name=files]").set_input_files([upload("setup.exe", program, "image/png")])
    fresh = set(reply.inner_text().splitlines())
    with customer.page.expect_response(lambda r: r.request.method == "POST") as answer:
        reply.locator("button:not([type=button]):not([type=reset])").first.click()
    assert answer.value.status == 422
    again = form(customer.page, f"/panel/tickets/{ticket_id}/reply")
    assert again.locator("[name=body]").input_value() == typed
    added = set(again.inner_text().splitlines()) - fresh
    assert any(re.search("[\u0600-\u06ff]", line) for line in added), added
    # The event store answers at once: no message was written (a refusal writes nothing).
    with server.api(token_for("admin", "admin-check")) as api:
        history = api.get("/v1/events", params={"after": 0, "limit": 1000}).text
    mine = [line for line in history.splitlines() if ticket_id in line]
    assert any("TicketOpened" in line for line in mine)
    assert not any("MessagePosted" in line for line in mine)
