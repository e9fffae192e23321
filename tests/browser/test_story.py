"""The panel's story in a real browser: a customer, an agent and a representative, each in a
browser context of their own, signed in through /panel/sso (PANEL.md, STATES.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .live import LiveServer, token_for
from .panel import (
    LABELS,
    choose,
    created_ticket_id,
    form,
    number_in,
    pdf,
    persian_digits,
    png,
    shoot,
    submit,
    ticket_row,
    until,
    upload,
)

BELL = "[data-bell-count]"


def _ticket(server: LiveServer, token: str, ticket_id: str) -> dict[str, Any]:
    with server.api(token) as api:
        response = api.get(f"/v1/tickets/{ticket_id}")
        assert response.status_code == 200, response.text
        ticket: dict[str, Any] = response.json()
        return ticket


def _open_ticket(person: Any, *, title: str, body: str, files: list[dict[str, Any]]) -> str:
    person.goto("/panel/tickets/new")
    new = form(person.page, "/panel/tickets/new")
    new.locator("[name=title]").fill(title)
    choose(new, "department", "technical")
    choose(new, "request_type", "technical")
    choose(new, "priority", "high")
    new.locator("[name=body]").fill(body)
    new.locator("[name=files]").set_input_files(files)
    new.get_by_role("button", name="ارسال تیکت").click()
    return created_ticket_id(person.page)


def _status_in_list(person: Any, ticket_id: str, code: int) -> bool:
    person.goto("/panel/tickets")
    return LABELS[code] in ticket_row(person.page, ticket_id).inner_text()


def test_a_customer_and_an_agent_work_one_ticket_from_opening_to_reopening(
    server: LiveServer, people: Any, screenshots: Path
) -> None:
    customer_token = token_for("customer", "c-story", name="مریم رضایی")
    customer = people(customer_token)
    customer.sign_in("/panel/tickets")

    # The customer opens a ticket with a screenshot and sees its tracking code, large.
    title = "خطای ۵۰۰ هنگام پرداخت صورتحساب"
    ticket_id = _open_ticket(
        customer,
        title=title,
        body="بعد از زدن دکمه پرداخت صفحه خطا می‌دهد؛ تصویر صفحه پیوست است.",
        files=[upload("تصویر-خطا.png", png(), "image/png")],
    )
    opened = _ticket(server, customer_token, ticket_id)
    code = opened["tracking_code"]
    assert persian_digits(code) in customer.page.inner_text("body") or code in (
        customer.page.inner_text("body")
    )
    assert [a["filename"] for a in opened["messages"][0]["attachments"]] == ["تصویر-خطا.png"]
    shoot(customer.page, screenshots, "ticket-created")

    # An agent of the department sees it in the inbox as code 1, and opens it.
    agent_token = token_for("agent", "a-story", name="علی محمدی", departments=["technical"])
    agent = people(agent_token)
    agent.sign_in("/panel/tickets")
    assert LABELS[1] in ticket_row(agent.page, ticket_id).inner_text()
    shoot(agent.page, screenshots, "agent-inbox")
    agent.goto(f"/panel/tickets/{ticket_id}")
    assert LABELS[2] in agent.page.inner_text("main")
    assert "تصویر-خطا.png" in agent.page.inner_text("main")

    # The customer's tickets page then shows code 2.
    until(lambda: _status_in_list(customer, ticket_id, 2), what="code 2 on the customer's list")
    shoot(customer.page, screenshots, "customer-tickets")

    # The agent replies with a follow-up; the customer's bell rises within 2 s, no reload.
    customer.page.evaluate("() => { window.__stillTheSamePage = true; }")
    before = number_in(customer.page.locator(BELL).first.inner_text())
    reply = form(agent.page, f"/panel/tickets/{ticket_id}/reply")
    reply.locator("[name=body]").fill("سلام، مشکل درگاه بررسی شد. لطفاً دوباره امتحان کنید.")
    reply.locator("[name=follow_up]").check()
    submit(reply)
    customer.page.wait_for_function(
        """([selector, before]) => {
            const el = document.querySelector(selector);
            const raw = (el && el.textContent) || '';
            const text = raw.replace(/[۰-۹]/g, (d) => '۰۱۲۳۴۵۶۷۸۹'.indexOf(d));
            const n = parseInt((text.match(/\\d+/) || ['0'])[0], 10);
            return n > before;
        }""",
        arg=[BELL, before],
        timeout=2000,
    )
    assert customer.page.evaluate("() => window.__stillTheSamePage === true")

    # The customer opens the ticket: its read is recorded first, so it shows code 7.
    customer.goto(f"/panel/tickets/{ticket_id}")
    main = customer.page.inner_text("main")
    assert LABELS[7] in main
    assert "مشکل درگاه بررسی شد" in main
    assert "علی محمدی" in main
    shoot(customer.page, screenshots, "customer-ticket")

    # … replies with a file, then closes it with a reason.
    answer = form(customer.page, f"/panel/tickets/{ticket_id}/reply")
    answer.locator("[name=body]").fill("باز هم همان خطا؛ رسید بانک را پیوست کردم.")
    answer.locator("[name=files]").set_input_files([upload("رسید.pdf", pdf(), "application/pdf")])
    submit(answer)
    assert "رسید.pdf" in customer.page.inner_text("main")
    agent.goto(f"/panel/tickets/{ticket_id}")
    named_before_closing = agent.page.inner_text("main").count("مریم رضایی")
    close = form(customer.page, f"/panel/tickets/{ticket_id}/close")
    close.locator("[name=reason]").fill("با پشتیبانی تلفنی حل شد")
    submit(close)
    assert _ticket(server, customer_token, ticket_id)["closed"] is True

    # The agent sees who closed it and why, and reopens it.
    agent.goto(f"/panel/tickets/{ticket_id}")
    main = agent.page.inner_text("main")
    assert "با پشتیبانی تلفنی حل شد" in main
    # Her name stands where it stood before (her messages), and once more as who closed it.
    assert main.count("مریم رضایی") == named_before_closing + 1, main
    shoot(agent.page, screenshots, "agent-ticket-closed")
    submit(form(agent.page, f"/panel/tickets/{ticket_id}/reopen"))
    assert _ticket(server, agent_token, ticket_id)["closed"] is False
    assert not customer.dialogs
    assert not agent.dialogs


def test_a_representative_opens_a_ticket_for_one_of_its_customers(
    server: LiveServer, people: Any, screenshots: Path
) -> None:
    token = token_for(
        "representative", "r-story", name="نمایندگی تهران", customers=["c-rep-1", "c-rep-2"]
    )
    representative = people(token)
    representative.sign_in("/panel/tickets")
    representative.goto("/panel/tickets/new")
    new = form(representative.page, "/panel/tickets/new")
    choose(new, "customer_id", "c-rep-2")
    new.locator("[name=title]").fill("درخواست پیش‌فاکتور تمدید سالانه")
    choose(new, "department", "finance")
    choose(new, "request_type", "financial")
    choose(new, "priority", "normal")
    new.locator("[name=body]").fill("مشتری ما پیش‌فاکتور تمدید سرویس را برای سال آینده می‌خواهد.")
    shoot(representative.page, screenshots, "representative-new-ticket")
    new.get_by_role("button", name="ارسال تیکت").click()
    ticket_id = created_ticket_id(representative.page)

    assert _ticket(server, token, ticket_id)["customer_id"] == "c-rep-2"
    customer = token_for("customer", "c-rep-2")
    assert _ticket(server, customer, ticket_id)["title"] == "درخواست پیش‌فاکتور تمدید سالانه"
