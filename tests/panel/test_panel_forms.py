"""The panel's forms: CSRF and Origin guard every write, a refusal shows the form again with
what was typed, a double submit is one write, and each form does what its button says."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from .conftest import OPENING, PDF, Person, Site, hidden_fields

NEW = "/panel/tickets/new"


async def _count(site: Site, who: Person) -> int:
    answer = await site.api.get("/v1/counters", headers=who.bearer)
    total: int = answer.json()["total"]
    return total


async def _tickets(site: Site, who: Person) -> list[dict[str, Any]]:
    answer = await site.api.get("/v1/tickets", headers=who.bearer)
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


@pytest.mark.parametrize(
    ("case", "tamper", "headers"),
    [
        ("no csrf token", {"csrf_token": None}, {}),
        ("a wrong csrf token", {"csrf_token": "not-the-sessions-token"}, {}),
        ("a foreign Origin", {}, {"Origin": "https://evil.example"}),
        ("the null Origin", {}, {"Origin": "null"}),
        ("a cross-site fetch", {}, {"Sec-Fetch-Site": "cross-site"}),
    ],
)
async def test_a_new_ticket_without_proof_of_our_own_form_is_403_and_nothing_is_written(
    site: Site, case: str, tamper: dict[str, Any], headers: dict[str, str]
) -> None:
    sara = await site.sign_in("customer", "c-sara")
    page = await sara.get(NEW)
    hidden = hidden_fields(page.text, NEW)
    for name, value in tamper.items():
        if value is None:
            hidden.pop(name)
        else:
            hidden[name] = value
    answer = await sara.submit(NEW, NEW, OPENING, hidden=hidden, headers=headers)
    assert answer.status_code == 403, case
    assert "از صفحهٔ خود پنل فرستاده نشده" in answer.text
    assert "چیزی ثبت نشد" in answer.text
    await asyncio.sleep(0.05)
    assert await _count(site, sara) == 0


async def test_our_own_origin_is_accepted(site: Site) -> None:
    sara = await site.sign_in("customer", "c-sara")
    answer = await sara.submit(NEW, NEW, OPENING, headers={"Origin": "http://ticketing.test"})
    assert answer.status_code == 303


async def test_a_csrf_token_of_another_session_is_refused(site: Site) -> None:
    sara = await site.sign_in("customer", "c-sara")
    reza = await site.sign_in("customer", "c-reza")
    rezas = hidden_fields((await reza.get(NEW)).text, NEW)
    answer = await sara.submit(NEW, NEW, OPENING, hidden=rezas)
    assert answer.status_code == 403
    assert await _count(site, sara) == 0


async def test_a_new_ticket_with_files_opens_and_shows_its_tracking_code_large(
    site: Site,
) -> None:
    sara = await site.sign_in("customer", "c-sara", name="سارا محمدی")
    answer = await sara.submit(
        NEW,
        NEW,
        OPENING,
        files=[
            ("files", ("فیش واریزی.pdf", PDF, "application/pdf")),
            ("files", ("توضیح.txt", "متن ساده".encode(), "text/plain")),
        ],
    )
    assert answer.status_code == 303
    created = answer.headers["location"]
    assert re.fullmatch(r"/panel/tickets/[0-9a-f]{32}/created", created)
    page = await sara.get(created)
    assert page.status_code == 200
    [ticket] = await _tickets(site, sara)
    persian_code = ticket["tracking_code"].translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert f'<p class="tracking-code" aria-label="کد پیگیری">{persian_code}</p>' in page.text
    assert ticket["status"]["customer_read"] is False  # the success page records no read
    detail = await site.api.get(f"/v1/tickets/{ticket['ticket_id']}", headers=sara.bearer)
    names = [a["filename"] for a in detail.json()["messages"][0]["attachments"]]
    assert names == ["فیش واریزی.pdf", "توضیح.txt"]


async def test_a_refused_form_is_422_with_a_persian_message_beside_the_field_and_typed_values(
    site: Site,
) -> None:
    sara = await site.sign_in("customer", "c-sara")
    typed = {**OPENING, "title": "ع" * 201, "body": "متن <b>طولانی</b> که باید بماند"}
    answer = await sara.submit(NEW, NEW, typed)
    assert answer.status_code == 422
    page = answer.text
    assert 'id="title-error"' in page
    message = re.search(r'<p class="field-error" id="title-error"[^>]*>([^<]+)</p>', page)
    assert message
    assert re.search(r"[\u0600-\u06FF]", message.group(1))
    assert "ع" * 201 in page
    assert "متن &lt;b&gt;طولانی&lt;/b&gt; که باید بماند</textarea>" in page
    assert '<option value="technical" selected>' in page
    assert '<option value="high" selected>' in page
    assert await _count(site, sara) == 0
    # the page again has a fresh form key: fixing the title now opens the ticket
    fixed = await sara.submit(NEW, NEW, OPENING, hidden=hidden_fields(page, NEW))
    assert fixed.status_code == 303


async def test_a_refused_file_names_itself_beside_the_files_field(site: Site) -> None:
    sara = await site.sign_in("customer", "c-sara")
    answer = await sara.submit(
        NEW, NEW, OPENING, files=[("files", ("برنامه.exe", b"MZ\x90\x00" * 64, "image/png"))]
    )
    assert answer.status_code == 422
    assert 'id="files-error"' in answer.text
    assert "«برنامه.exe»" in answer.text
    assert OPENING["title"] in answer.text
    assert await _count(site, sara) == 0


async def test_a_double_submit_of_one_form_is_one_ticket(site: Site) -> None:
    sara = await site.sign_in("customer", "c-sara")
    hidden = hidden_fields((await sara.get(NEW)).text, NEW)
    files = [("files", ("فیش واریزی.pdf", PDF, "application/pdf"))]
    first, second = await asyncio.gather(
        sara.submit(NEW, NEW, OPENING, hidden=hidden, files=files),
        sara.submit(NEW, NEW, OPENING, hidden=hidden, files=files),
    )
    again = await sara.submit(NEW, NEW, OPENING, hidden=hidden, files=files)
    assert first.status_code == second.status_code == again.status_code == 303
    assert first.headers["location"] == second.headers["location"] == again.headers["location"]
    assert len(await _tickets(site, sara)) == 1


async def test_a_double_submit_of_a_reply_is_one_message(site: Site) -> None:
    sara = await site.sign_in("customer", "c-sara")
    opened = await site.open_ticket(sara)
    page_path = f"/panel/tickets/{opened['ticket_id']}"
    action = f"{page_path}/reply"
    hidden = hidden_fields((await sara.get(page_path)).text, action)
    reply = {"body": "فیش واریزی را پیوست کردم."}
    answers = await asyncio.gather(
        *(sara.submit(page_path, action, reply, hidden=hidden) for _ in range(3))
    )
    assert {a.status_code for a in answers} == {303}
    detail = await site.api.get(page_path.replace("/panel", "/v1"), headers=sara.bearer)
    assert [m["body"] for m in detail.json()["messages"]].count(reply["body"]) == 1


async def test_a_representative_opens_for_its_customer_and_not_for_another(site: Site) -> None:
    rep = await site.sign_in("representative", "r-pars", customers=["c-sara", "c-reza"])
    refused = await rep.submit(NEW, NEW, {**OPENING, "customer_id": "c-stranger"})
    assert refused.status_code == 422
    assert 'id="customer_id-error"' in refused.text
    missing = await rep.submit(NEW, NEW, {**OPENING, "customer_id": ""})
    assert missing.status_code == 422
    assert 'id="customer_id-error"' in missing.text
    opened = await rep.submit(NEW, NEW, {**OPENING, "customer_id": "c-reza"})
    assert opened.status_code == 303
    [ticket] = await _tickets(site, rep)
    assert ticket["customer_id"] == "c-reza"


async def test_an_agent_opens_for_a_typed_customer_id(site: Site) -> None:
    maryam = await site.sign_in("agent", "a-maryam", departments=["technical"])
    opened = await maryam.submit(NEW, NEW, {**OPENING, "customer_id": "c-sara"})
    assert opened.status_code == 303
    [ticket] = await _tickets(site, maryam)
    assert ticket["customer_id"] == "c-sara"


async def test_reply_close_and_reopen_from_the_ticket_page(site: Site) -> None:
    sara = await site.sign_in("customer", "c-sara")
    opened = await site.open_ticket(sara)
    page_path = f"/panel/tickets/{opened['ticket_id']}"
    replied = await sara.submit(
        page_path,
        f"{page_path}/reply",
        {"body": "این هم تصویر خطا"},
        files=[("files", ("خطا.pdf", PDF, "application/pdf"))],
    )
    assert replied.status_code == 303
    assert replied.headers["location"] == page_path
    page = await sara.get(page_path)
    assert "این هم تصویر خطا" in page.text
    assert "خطا.pdf" in page.text

    closed = await sara.submit(page_path, f"{page_path}/close", {"reason": "مشکل حل شد"})
    assert closed.status_code == 303
    page = await sara.get(page_path)
    assert "این تیکت بسته شده است" in page.text
    assert f'action="{page_path}/reopen"' in page.text

    reopened = await sara.submit(page_path, f"{page_path}/reopen")
    assert reopened.status_code == 303
    detail = await site.api.get(f"/v1/tickets/{opened['ticket_id']}", headers=sara.bearer)
    assert detail.json()["closed"] is False


async def test_an_empty_reply_is_422_and_keeps_the_agents_toggles(site: Site) -> None:
    sara = await site.sign_in("customer", "c-sara")
    opened = await site.open_ticket(sara)
    maryam = await site.sign_in("agent", "a-maryam", departments=["technical"])
    page_path = f"/panel/tickets/{opened['ticket_id']}"
    answer = await maryam.submit(
        page_path, f"{page_path}/reply", {"body": "   ", "follow_up": "on", "internal": "on"}
    )
    assert answer.status_code == 422
    assert 'id="body-error"' in answer.text
    assert 'name="follow_up" value="on" checked' in answer.text
    assert 'name="internal" value="on" checked' in answer.text


async def test_an_agent_transfers_changes_priority_and_takes_the_ticket(site: Site) -> None:
    sara = await site.sign_in("customer", "c-sara")
    opened = await site.open_ticket(sara)
    admin = await site.sign_in("admin", "m-neda")
    page_path = f"/panel/tickets/{opened['ticket_id']}"
    action = f"{page_path}/change"
    page = await admin.get(page_path)
    assert "سپردن به من" in page.text
    forms = re.findall(
        rf'<form[^>]*action="{re.escape(action)}"[^>]*>(.*?)</form>', page.text, re.S
    )
    assert len(forms) == 2
    changed = await admin.submit(page_path, action, {"department": "finance", "priority": "urgent"})
    assert changed.status_code == 303
    page = await admin.get(page_path)
    mine_form = re.findall(
        rf'(<form[^>]*action="{re.escape(action)}"[^>]*>.*?</form>)', page.text, re.S
    )[-1]
    hidden = hidden_fields(mine_form, action)
    assert hidden["assignee_id"] == "m-neda"
    taken = await admin.client.post(action, data=hidden)
    assert taken.status_code == 303
    detail = (await site.api.get(f"/v1/tickets/{opened['ticket_id']}", headers=admin.bearer)).json()
    assert (detail["department"], detail["priority"], detail["assignee_id"]) == (
        "finance",
        "urgent",
        "m-neda",
    )


async def test_a_customer_cannot_change_a_ticket_through_the_panel(site: Site) -> None:
    sara = await site.sign_in("customer", "c-sara")
    opened = await site.open_ticket(sara)
    page_path = f"/panel/tickets/{opened['ticket_id']}"
    page = await sara.get(page_path)
    assert f'action="{page_path}/change"' not in page.text
    hidden = hidden_fields(page.text, f"{page_path}/close")
    answer = await sara.client.post(f"{page_path}/change", data={**hidden, "priority": "urgent"})
    assert answer.status_code == 403
    assert "این کار در دسترسی شما نیست" in answer.text
    detail = (await site.api.get(f"/v1/tickets/{opened['ticket_id']}", headers=sara.bearer)).json()
    assert detail["priority"] == "high"


async def test_an_agent_who_transfers_a_ticket_out_of_their_departments_lands_on_the_list(
    site: Site,
) -> None:
    sara = await site.sign_in("customer", "c-sara")
    opened = await site.open_ticket(sara)
    maryam = await site.sign_in("agent", "a-maryam", departments=["technical"])
    page_path = f"/panel/tickets/{opened['ticket_id']}"
    moved = await maryam.submit(page_path, f"{page_path}/change", {"department": "finance"})
    assert moved.status_code == 303
    assert moved.headers["location"] == "/panel/tickets"
    assert (await maryam.get(page_path)).status_code == 404  # no longer hers to see
    kept = await sara.get(page_path)
    assert "امور مالی" in kept.text
