"""The panel's pages for every role: Persian, escaped, isolated user text, exactly what the
person's token may see (a foreign ticket is the Persian 404; an internal note never reaches
the customer side), tracking codes in any digits, and the headers every answer carries."""

from __future__ import annotations

import re

import pytest

from .conftest import Person, Site, hidden_fields

PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
ROLES = {
    "customer": {"sub": "c-sara"},
    "representative": {"sub": "r-pars", "customers": ["c-sara"]},
    "agent": {"sub": "a-maryam", "departments": ["technical"]},
    "admin": {"sub": "m-neda"},
}


async def _person(site: Site, role: str) -> Person:
    claims = dict(ROLES[role])
    sub = str(claims.pop("sub"))
    return await site.sign_in(role, sub, name="نام نمایشی", **claims)


@pytest.mark.parametrize("role", list(ROLES))
async def test_every_page_renders_in_persian_for_each_role(site: Site, role: str) -> None:
    sara = await site.sign_in("customer", "c-sara")
    opened = await site.open_ticket(sara)
    person = await _person(site, role)
    ticket = f"/panel/tickets/{opened['ticket_id']}"
    pages = [
        "/panel/tickets",
        "/panel/tickets?status=1&unread=true&closed=false&department=technical&priority=high",
        "/panel/tickets?q=پیامک",
        "/panel/tickets/new",
        ticket,
        f"{ticket}/created",
        "/panel/track",
        "/panel/notifications",
    ]
    for path in pages:
        answer = await person.get(path)
        assert answer.status_code == 200, (path, answer.text[:500])
        assert answer.text.startswith('<!doctype html>\n<html lang="fa" dir="rtl">')
        assert "تیکت‌ها" in answer.text  # the sidebar of counters, on every page
        assert 'action="/panel/logout"' in answer.text
    listed = await person.get("/panel/tickets")
    assert opened["tracking_code"].translate(PERSIAN_DIGITS) in listed.text
    for column in ("شماره تیکت", "تاریخ ارسال", "وضعیت", "اولویت"):
        assert f'<th scope="col">{column}</th>' in listed.text
    assert "زیاد" in listed.text  # the priority label


async def test_the_home_sends_to_the_tickets_page(site: Site) -> None:
    sara = await site.sign_in("customer", "c-sara")
    answer = await sara.get("/panel/")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/panel/tickets"


async def test_the_agent_side_sees_assignee_filter_and_toggles_the_customer_does_not(
    site: Site,
) -> None:
    sara = await site.sign_in("customer", "c-sara")
    opened = await site.open_ticket(sara)
    maryam = await _person(site, "agent")
    ticket = f"/panel/tickets/{opened['ticket_id']}"
    agent_list, agent_ticket = await maryam.get("/panel/tickets"), await maryam.get(ticket)
    customer_list, customer_ticket = await sara.get("/panel/tickets"), await sara.get(ticket)
    assert 'name="assignee" value="me"' in agent_list.text
    assert 'name="assignee" value="me"' not in customer_list.text
    for toggle in ('name="follow_up"', 'name="internal"', f'action="{ticket}/change"'):
        assert toggle in agent_ticket.text
        assert toggle not in customer_ticket.text


HOSTILE_TITLE = '<script>alert("x")</script> \u202eخطا\u202c در "پرداخت" & فاکتور'
HOSTILE_BODY = "<img src=x onerror=alert(1)> متن \u2067تیکت\u2069 {{ 7*7 }}"
HOSTILE_FILE = "<b onmouseover=alert(1)>فیش.pdf"


async def test_user_text_is_escaped_and_isolated_everywhere(site: Site) -> None:
    sara = await site.sign_in("customer", "c-sara", name='<i>سارا</i> "محمدی"')
    attachment = await site.upload(sara, HOSTILE_FILE)
    opened = await site.open_ticket(
        sara, title=HOSTILE_TITLE, body=HOSTILE_BODY, attachment_ids=[attachment]
    )
    maryam = await _person(site, "agent")
    for person in (sara, maryam):
        for path in ("/panel/tickets", f"/panel/tickets/{opened['ticket_id']}"):
            page = (await person.get(path)).text
            assert "<script>alert" not in page
            assert "<img src=x" not in page
            assert "<b onmouseover" not in page
            assert "<i>سارا</i>" not in page
            assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
            # the title sits in its own <bdi>: a bidi override cannot reorder the page
            assert re.search(r"<bdi>&lt;script&gt;[^<]*\u202e[^<]*</bdi>", page)
        ticket_page = (await person.get(f"/panel/tickets/{opened['ticket_id']}")).text
        assert "&lt;img src=x onerror=alert(1)&gt;" in ticket_page
        assert "{{ 7*7 }}" in ticket_page  # shown, never evaluated
        assert '<div class="message-body" dir="auto">' in ticket_page
        assert '<bdi dir="ltr">&lt;b onmouseover=alert(1)&gt;فیش.pdf</bdi>' in ticket_page


@pytest.mark.parametrize(
    "path",
    [
        "/panel/tickets/{other_brand}",
        "/panel/tickets/{other_customer}",
        "/panel/tickets/{other_department}",
        "/panel/tickets/not-a-ticket-id",
        "/panel/tickets/{other_brand}/created",
        "/panel/tickets/0123456789abcdef0123456789abcdef",
        "/panel/attachments/0123456789abcdef0123456789abcdef",
        "/panel/no-such-page",
    ],
)
async def test_a_ticket_the_person_may_not_see_is_the_persian_404_page(
    site: Site, path: str
) -> None:
    sara = await site.sign_in("customer", "c-sara")
    reza = await site.sign_in("customer", "c-reza")
    narges = await site.sign_in("customer", "c-narges", brand="panah")
    ids = {
        "other_brand": (await site.open_ticket(narges))["ticket_id"],
        "other_customer": (await site.open_ticket(reza))["ticket_id"],
        "other_department": (await site.open_ticket(sara, department="finance"))["ticket_id"],
    }
    maryam = await _person(site, "agent")  # technical only
    viewer = maryam if "other_department" in path else sara
    answer = await viewer.get(path.format(**ids))
    assert answer.status_code == 404
    assert "پیدا نشد" in answer.text
    assert '<html lang="fa" dir="rtl">' in answer.text


async def test_a_foreign_ticket_form_writes_nothing(site: Site) -> None:
    sara = await site.sign_in("customer", "c-sara")
    reza = await site.sign_in("customer", "c-reza")
    rezas = await site.open_ticket(reza)
    hidden = hidden_fields((await sara.get("/panel/tickets/new")).text, "/panel/tickets/new")
    answer = await sara.client.post(
        f"/panel/tickets/{rezas['ticket_id']}/reply", data={**hidden, "body": "سلام"}
    )
    assert answer.status_code == 404
    detail = await site.api.get(f"/v1/tickets/{rezas['ticket_id']}", headers=reza.bearer)
    assert len(detail.json()["messages"]) == 1


async def test_the_customer_never_sees_an_internal_note_nor_its_file(site: Site) -> None:
    sara = await site.sign_in("customer", "c-sara")
    opened = await site.open_ticket(sara)
    maryam = await _person(site, "agent")
    ticket = f"/panel/tickets/{opened['ticket_id']}"
    posted = await maryam.submit(
        ticket,
        f"{ticket}/reply",
        {"body": "یادداشت محرمانه: مشتری بدهکار است", "internal": "on"},
        files=[("files", ("گزارش داخلی.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"))],
    )
    assert posted.status_code == 303
    agent_page = (await maryam.get(ticket)).text
    assert "یادداشت محرمانه" in agent_page
    assert "یادداشت داخلی (مشتری نمی‌بیند)</span>" in agent_page
    [note_file] = re.findall(r'href="/panel/attachments/([0-9a-f]{32})"', agent_page)
    assert (await maryam.get(f"/panel/attachments/{note_file}")).status_code == 200

    for page in (await sara.get(ticket), await sara.get("/panel/tickets?q=بدهکار")):
        assert page.status_code == 200
        assert "یادداشت محرمانه" not in page.text
        assert "گزارش داخلی" not in page.text
        assert note_file not in page.text
    assert "تیکتی با این مشخصات پیدا نشد" in page.text  # the search finds nothing either
    download = await sara.get(f"/panel/attachments/{note_file}")
    assert download.status_code == 404


async def test_an_attachment_downloads_through_the_panel_with_the_persons_rights(
    site: Site,
) -> None:
    sara = await site.sign_in("customer", "c-sara")
    attachment = await site.upload(sara)
    opened = await site.open_ticket(sara, attachment_ids=[attachment])
    page = (await sara.get(f"/panel/tickets/{opened['ticket_id']}")).text
    assert f'href="/panel/attachments/{attachment}"' in page
    download = await sara.get(f"/panel/attachments/{attachment}")
    assert download.status_code == 200
    assert download.content.startswith(b"%PDF")
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in download.headers["content-security-policy"]
    reza = await site.sign_in("customer", "c-reza")
    assert (await reza.get(f"/panel/attachments/{attachment}")).status_code == 404


@pytest.mark.parametrize(
    "typed",
    ["{persian}", "{latin}", "{arabic}", "{persian_spaced}", "{latin_hyphens}"],
)
async def test_track_finds_a_ticket_by_its_code_in_any_digits(site: Site, typed: str) -> None:
    sara = await site.sign_in("customer", "c-sara")
    opened = await site.open_ticket(sara)
    code = opened["tracking_code"]
    forms = {
        "persian": code.translate(PERSIAN_DIGITS),
        "latin": code,
        "arabic": code.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")),
        "persian_spaced": " ".join(code.translate(PERSIAN_DIGITS)[i : i + 4] for i in (0, 4)),
        "latin_hyphens": f"{code[:3]}-{code[3:6]}-{code[6:]}",
    }
    answer = await sara.get("/panel/track", params={"code": typed.format(**forms)})
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/panel/tickets/{opened['ticket_id']}"


@pytest.mark.parametrize("code", ["۱۲۳۴۵۶۷۸", "12", "abc", "<script>", "۱" * 40])
async def test_track_with_an_unknown_or_malformed_code_is_the_persian_404(
    site: Site, code: str
) -> None:
    sara = await site.sign_in("customer", "c-sara")
    answer = await sara.get("/panel/track", params={"code": code})
    assert answer.status_code == 404
    assert "پیدا نشد" in answer.text
    assert "<script>" not in answer.text


async def test_another_customers_code_is_not_found_either(site: Site) -> None:
    sara = await site.sign_in("customer", "c-sara")
    reza = await site.sign_in("customer", "c-reza")
    rezas = await site.open_ticket(reza)
    answer = await sara.get("/panel/track", params={"code": rezas["tracking_code"]})
    assert answer.status_code == 404


async def test_pages_carry_the_security_headers_and_are_never_cached(site: Site) -> None:
    sara = await site.sign_in("customer", "c-sara")
    page = await sara.get("/panel/tickets")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "style-src 'self'" in csp
    assert "frame-ancestors 'self'" in csp
    assert "unsafe-inline" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    # same-origin: a browser sends our real Origin with our own forms (`no-referrer` makes
    # Chromium send `Origin: null`, which the CSRF guard must refuse)
    assert page.headers["referrer-policy"] == "same-origin"
    assert page.headers["cache-control"] == "no-store"
    assert "<script>" not in page.text  # no inline script
    assert " style=" not in page.text  # no inline style either
    assert 'content="same-origin"' in page.text


async def test_static_assets_have_versioned_urls_cached_for_a_year(site: Site) -> None:
    sara = await site.sign_in("customer", "c-sara")
    page = (await sara.get("/panel/tickets")).text
    urls = re.findall(r'(?:href|src)="(/panel/static/[^"]+)"', page)
    assert {u.rsplit("/", 1)[-1] for u in urls} >= {
        "panel.css",
        "panel.js",
        "Vazirmatn-Regular.woff2",
    }
    total = len(page.encode())
    for url in urls:
        asset = await sara.get(url)
        assert asset.status_code == 200
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
        total += len(asset.content)
    css = (await sara.get(next(u for u in urls if u.endswith(".css")))).text
    bold = re.search(r'url\("(fonts/Vazirmatn-Bold\.woff2)"\)', css)
    assert bold
    total += len((await sara.get(urls[0].rsplit("/", 1)[0] + "/" + bold.group(1))).content)
    assert total <= 200 * 1024  # the first visit, fonts included
    assert len(page.encode()) <= 30 * 1024  # a repeat visit: the page alone
    stale = urls[0].replace("/static/", "/static/0").rsplit("/", 1)[0] + "/panel.css"
    assert (await sara.get(stale)).status_code == 404
    assert (await sara.get("/panel/static/x/../../pyproject.toml")).status_code == 404


async def test_frame_ancestors_come_from_the_setting(site: Site) -> None:
    from ticketing_panel.app import SecurityHeaders

    headers = dict(SecurityHeaders(site.app, frame_ancestors="https://brand.example").headers)
    assert b"frame-ancestors https://brand.example" in headers[b"content-security-policy"]


async def test_pages_are_compressed_and_carry_a_differently_masked_csrf_token_each_time(
    site: Site,
) -> None:
    sara = await site.sign_in("customer", "c-sara")
    first = await sara.get("/panel/tickets?q=csrf_token", headers={"Accept-Encoding": "gzip"})
    second = await sara.get("/panel/tickets?q=csrf_token", headers={"Accept-Encoding": "gzip"})
    assert first.headers["content-encoding"] == "gzip"
    assert hidden_fields(first.text, "/panel/logout") != hidden_fields(second.text, "/panel/logout")
    stream = await sara.client.get("/panel/static/x/panel.css", headers={"Accept-Encoding": "gzip"})
    assert stream.status_code == 404  # an unknown version: nothing served


async def test_the_agent_sees_the_customer_by_name_and_id(site: Site) -> None:
    sara = await site.sign_in("customer", "c-sara", name="سارا محمدی")
    opened = await site.open_ticket(sara)
    maryam = await _person(site, "agent")
    page = await maryam.get(f"/panel/tickets/{opened['ticket_id']}")
    assert '<bdi>سارا محمدی</bdi> · <span class="muted">شناسه</span> <bdi>c-sara</bdi>' in page.text


async def test_the_bare_panel_path_goes_home_relatively(site: Site) -> None:
    async with site.browser() as browser:
        answer = await browser.get("/panel")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/panel/"
