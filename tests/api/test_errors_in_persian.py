"""Problem details in Persian when the request says `Accept-Language: fa`: title, detail and
every field message, for every field of API.md; English otherwise, as before."""

from __future__ import annotations

import re
from typing import Any

import pytest

from .notification_fixtures import Notifications, bearer
from .query_fixtures import OPENING, Desk, admin, agent, customer, representative

FA = {"Accept-Language": "fa-IR,fa;q=0.9,en;q=0.5"}
PERSIAN = re.compile(r"[\u0600-\u06FF]")
ENGLISH = re.compile(r"\b(must|unknown|required|least|most|valid|field|one of|not|no such)\b", re.I)


def persian_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "accept-language" in response.headers["vary"].lower()  # caches keep languages apart
    body: dict[str, Any] = response.json()
    for text in (body["title"], body["detail"], *(e["message"] for e in body.get("errors", []))):
        assert PERSIAN.search(text), text
        assert not ENGLISH.search(text), text
    return body


def by_field(body: dict[str, Any]) -> dict[str, str]:
    return {e["field"]: e["message"] for e in body["errors"]}


@pytest.mark.parametrize(
    ("who", "path", "payload", "field", "message"),
    [
        (customer, "/v1/tickets", {"title": "   "}, "title", "عنوان نباید خالی باشد."),
        (
            customer,
            "/v1/tickets",
            {"title": "ت" * 201},
            "title",
            "عنوان باید حداکثر ۲۰۰ نویسه باشد.",
        ),
        (customer, "/v1/tickets", {"body": ""}, "body", "متن نباید خالی باشد."),
        (
            customer,
            "/v1/tickets",
            {"department": "sales"},
            "department",
            "بخش «sales» در فهرست این برند نیست.",
        ),
        (
            customer,
            "/v1/tickets",
            {"request_type": "legal"},
            "request_type",
            "نوع درخواست «legal» در فهرست این برند نیست.",
        ),
        (
            customer,
            "/v1/tickets",
            {"priority": "critical"},
            "priority",
            "فوریت باید یکی از این‌ها باشد: «low»، «normal»، «high» یا «urgent».",
        ),
        (
            lambda: representative(["cust-1"]),
            "/v1/tickets",
            {},
            "customer_id",
            "وقتی نماینده تیکت باز می‌کند، شناسه‌ی مشتری لازم است.",
        ),
        (
            customer,
            "/v1/tickets",
            {"attachment_ids": ["att-رسید-خرید"]},
            "attachment_ids",
            "پیوست «att-رسید-خرید» پیدا نشد یا اجازه‌ی استفاده از آن را ندارید.",
        ),
        (customer, "/v1/tickets", {"color": "red"}, "color", "فیلد «color» شناخته‌شده نیست."),
    ],
)
async def test_a_bad_new_ticket_is_explained_in_persian_beside_each_field(
    desk: Desk, who: Any, path: str, payload: dict[str, Any], field: str, message: str
) -> None:
    response = await desk.client.post(path, json={**OPENING, **payload}, headers={**who(), **FA})
    body = persian_problem(response, 422)
    assert message in [e["message"] for e in body["errors"] if e["field"] == field]
    assert body["title"] == "اطلاعات واردشده درست نیست"
    assert message in body["detail"]


async def test_without_accept_language_the_same_problem_stays_english(desk: Desk) -> None:
    response = await desk.client.post(
        "/v1/tickets", json={**OPENING, "title": " "}, headers=customer()
    )
    assert response.status_code == 422
    body = response.json()
    assert body["title"] == "Validation failed"
    assert by_field(body)["title"] == "must not be empty"


async def test_close_reason_and_assignee_are_explained_in_persian(desk: Desk) -> None:
    tid = (await desk.open(customer()))["ticket_id"]
    closing = await desk.client.post(
        f"/v1/tickets/{tid}/close", json={"reason": "د" * 1001}, headers={**customer(), **FA}
    )
    assert (
        by_field(persian_problem(closing, 422))["reason"]
        == "دلیل بستن باید حداکثر ۱۰۰۰ نویسه باشد."
    )
    change = await desk.client.patch(
        f"/v1/tickets/{tid}", json={"assignee_id": "  "}, headers={**admin(), **FA}
    )
    assert by_field(persian_problem(change, 422))["assignee_id"] == (
        "کارشناس مسئول باید شناسه‌ی یک کاربر یا null باشد."
    )
    reply = await desk.client.post(
        f"/v1/tickets/{tid}/messages",
        json={"body": "ممنون", "internal": True},
        headers={**customer(), **FA},
    )
    assert by_field(persian_problem(reply, 422))["internal"] == (
        "یادداشت داخلی را فقط کارشناسان و مدیران می‌توانند تعیین کنند."
    )


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"limit": "0"}, "limit", "تعداد در هر صفحه باید دست‌کم ۱ باشد."),
        ({"limit": "101"}, "limit", "تعداد در هر صفحه باید حداکثر ۱۰۰ باشد."),
        ({"status": "9"}, "status", "وضعیت باید کدی از ۱ تا ۸ باشد."),
        ({"unread": "maybe"}, "unread", "فقط خوانده‌نشده‌ها باید true یا false باشد."),
        (
            {"cursor": "نامعتبر"},
            "cursor",
            "نشانگر صفحه از همین فهرست نیست؛ فهرست را از اول بخوانید.",
        ),
    ],
)
async def test_bad_list_parameters_are_explained_in_persian(
    desk: Desk, params: dict[str, str], field: str, message: str
) -> None:
    response = await desk.client.get("/v1/tickets", params=params, headers={**agent(), **FA})
    assert by_field(persian_problem(response, 422))[field] == message


async def test_not_found_forbidden_and_unauthorised_speak_persian_too(desk: Desk) -> None:
    missing = await desk.client.get("/v1/tickets/" + "0" * 32, headers={**customer(), **FA})
    assert persian_problem(missing, 404)["detail"] == "چنین تیکتی پیدا نشد."
    tid = (await desk.open(customer()))["ticket_id"]
    forbidden = await desk.client.patch(
        f"/v1/tickets/{tid}", json={"priority": "low"}, headers={**customer(), **FA}
    )
    persian_problem(forbidden, 403)
    unauthorised = await desk.client.get(
        "/v1/tickets", headers={"Authorization": "Bearer not.a.jwt", **FA}
    )
    assert persian_problem(unauthorised, 401)["detail"] == (
        "توکن ورود معتبر نیست یا منقضی شده است؛ دوباره وارد شوید."
    )
    malformed = await desk.client.post(
        "/v1/tickets",
        content=b'{"title": ',
        headers={**customer(), **FA, "Content-Type": "application/json"},
    )
    assert persian_problem(malformed, 400)["detail"] == "بدنه‌ی درخواست JSON معتبر (UTF-8) نیست."


async def test_q_values_decide_so_english_first_stays_english(desk: Desk) -> None:
    response = await desk.client.get(
        "/v1/tickets/" + "0" * 32,
        headers={**customer(), "Accept-Language": "en-US,en;q=0.9,fa;q=0.8"},
    )
    assert response.json()["detail"] == "No such ticket."


async def test_an_oversized_body_is_explained_in_persian(desk: Desk) -> None:
    response = await desk.client.post(
        "/v1/tickets",
        json={**OPENING, "body": "ب" * 600_000},
        headers={**customer(), **FA},
    )
    persian_problem(response, 413)


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        (
            {"email": True},
            "email_address",
            "برای دریافت ایمیل، نشانی ایمیل لازم است.",
        ),
        ({"sms": True}, "phone", "برای دریافت پیامک، شماره‌ی تلفن همراه لازم است."),
        ({"email_address": "مریم@"}, "email_address", "نشانی ایمیل معتبر نیست."),
        (
            {"phone": "۱۲۳"},
            "phone",
            "شماره‌ی تلفن همراه باید به شکل ۰۹xxxxxxxxx یا شماره‌ای بین‌المللی مانند +98… باشد.",
        ),
    ],
)
async def test_bad_preferences_are_explained_in_persian(
    notifications: Notifications, payload: dict[str, Any], field: str, message: str
) -> None:
    response = await notifications.client.put(
        "/v1/notifications/preferences", json=payload, headers={**bearer("customer", "c1"), **FA}
    )
    assert by_field(persian_problem(response, 422))[field] == message
