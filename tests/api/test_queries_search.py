"""Search (`q`) with Persian normalisation, and tracking-code lookup with Persian digits."""

from __future__ import annotations

import pytest

from .query_fixtures import Desk, admin, agent, customer

TECHNICAL = agent(["technical"])
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.fixture
async def texts(desk: Desk) -> dict[str, str]:
    """Tickets whose text is spelled the way people really type it."""
    ids = {}
    ids["arabic-letters"] = (
        await desk.open(customer(), title="مشكل در پرداخت فاكتور", body="پرداخت انجام نشد.")
    )["ticket_id"]
    ids["zwnj-and-digits"] = (
        await desk.open(
            customer(),
            title="ارسال پیامک‌ها متوقف شده",
            body="از ساعت ۱۴ می‌خواهم ۲۰۰۰ پیامک بفرستم ولی نمی‌شود.",
        )
    )["ticket_id"]
    ids["diacritics-tatweel"] = (
        await desk.open(
            customer(), title="درخواست تـمـدیـد سرویس", body="لطفاً قرارداد را تمدید كنید."
        )
    )["ticket_id"]
    ids["other-customer"] = (await desk.open(customer("cust-2"), title="مشکل در پرداخت آنلاین"))[
        "ticket_id"
    ]
    return ids


async def found(desk: Desk, who: dict[str, str], q: str) -> set[str]:
    return set(await desk.ids(who, q=q))


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("مشکل", {"arabic-letters"}),  # Persian ک finds Arabic ك
        ("فاكتور", {"arabic-letters"}),  # and Arabic finds Arabic
        ("پرداخت فاکتور", {"arabic-letters"}),
        ("پردا", {"arabic-letters"}),  # the start of a word
        ("پرداخت ناموجود", set()),  # every word is required
        ("پیامک", {"zwnj-and-digits"}),  # ZWNJ splits پیامک‌ها into پیامک + ها
        ("می خواهم", {"zwnj-and-digits"}),
        ("می‌خواهم", {"zwnj-and-digits"}),
        ("2000", {"zwnj-and-digits"}),  # Latin digits find Persian ones
        ("۲۰۰۰", {"zwnj-and-digits"}),
        ("٢٠٠٠", {"zwnj-and-digits"}),
        ("تمدید", {"diacritics-tatweel"}),  # tatweel in the title is ignored
        ("تــمدید", {"diacritics-tatweel"}),  # and in the query
        ("لطفا", {"diacritics-tatweel"}),  # the tanwin of لطفاً is ignored
        ("کنيد", {"diacritics-tatweel"}),  # Arabic ي in the query, Arabic ك in the text
        ("   ", {"arabic-letters", "zwnj-and-digits", "diacritics-tatweel"}),
    ],
)
async def test_search_treats_persian_spellings_alike(
    desk: Desk, texts: dict[str, str], q: str, expected: set[str]
) -> None:
    assert await found(desk, customer(), q) == {texts[name] for name in expected}


async def test_search_finds_the_tracking_code_typed_in_persian_digits(
    desk: Desk, texts: dict[str, str]
) -> None:
    code = (await desk.ticket(customer(), texts["arabic-letters"]))["tracking_code"]
    assert await found(desk, customer(), code.translate(PERSIAN)) == {texts["arabic-letters"]}
    assert await found(desk, customer(), code[:4]) >= {texts["arabic-letters"]}


async def test_internal_notes_are_searchable_by_agents_but_never_by_customers(
    desk: Desk, texts: dict[str, str]
) -> None:
    tid = texts["arabic-letters"]
    await desk.reply(TECHNICAL, tid, "یادداشت محرمانه: بانک تراکنش را برگشت زده", internal=True)
    assert await found(desk, TECHNICAL, "محرمانه") == {tid}
    assert await found(desk, admin(), "محرمانه بانک") == {tid}
    assert await found(desk, customer(), "محرمانه") == set()


async def test_search_finds_replies_and_combines_with_filters(
    desk: Desk, texts: dict[str, str]
) -> None:
    tid = texts["zwnj-and-digits"]
    await desk.reply(TECHNICAL, tid, "سرشماره شما مسدود شده بود.")
    assert await found(desk, customer(), "سرشماره") == {tid}
    assert await found(desk, customer(), "پیامک") == {tid}
    assert await desk.ids(customer(), q="پیامک", status="1") == []


async def test_search_never_reaches_other_customers_tickets(
    desk: Desk, texts: dict[str, str]
) -> None:
    assert texts["other-customer"] not in await found(desk, customer(), "آنلاین")
    assert await found(desk, customer("cust-2"), "پرداخت") == {texts["other-customer"]}
    assert await found(desk, admin(), "پرداخت") == {
        texts["arabic-letters"],
        texts["other-customer"],
    }


@pytest.mark.parametrize(
    "spelling",
    [
        pytest.param(lambda c: c, id="ascii"),
        pytest.param(lambda c: c.translate(PERSIAN), id="persian-digits"),
        pytest.param(lambda c: c.translate(ARABIC_INDIC), id="arabic-indic-digits"),
        pytest.param(lambda c: f"{c[:4]}-{c[4:]}".translate(PERSIAN), id="persian-hyphenated"),
        pytest.param(lambda c: f" {c[:3]} {c[3:]} ", id="spaced"),
    ],
)
async def test_a_ticket_is_found_by_its_tracking_code_however_it_is_typed(
    desk: Desk, spelling: object
) -> None:
    opened = await desk.open(customer())
    typed = spelling(opened["tracking_code"])  # type: ignore[operator]
    shown = await desk.json(f"/v1/tickets/by-tracking-code/{typed}", customer())
    assert shown["ticket_id"] == opened["ticket_id"]
    assert shown["messages"][0]["author_id"] == "cust-1"


@pytest.mark.parametrize("typed", ["abc", "12345", "۱۲۳۴۵۶۷۸۹۰۱۲۳", "0000000"])
async def test_a_code_that_names_no_visible_ticket_is_404(desk: Desk, typed: str) -> None:
    await desk.open(customer())
    response = await desk.get(f"/v1/tickets/by-tracking-code/{typed}", customer())
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
