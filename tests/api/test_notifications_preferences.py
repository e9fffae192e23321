"""The customer's channel preferences: validation, and who may have them."""

from __future__ import annotations

import pytest

from .notification_fixtures import Notifications, bearer

SARA = bearer("customer", "cust-1")
PATH = "/v1/notifications/preferences"


async def test_without_stored_preferences_a_customer_has_in_app_only(
    notifications: Notifications,
) -> None:
    response = await notifications.client.get(PATH, headers=SARA)
    assert response.json() == {
        "email": False, "sms": False, "in_app": True, "email_address": None, "phone": None
    }  # fmt: skip


async def test_preferences_are_saved_with_the_phone_normalised(
    notifications: Notifications,
) -> None:
    body = {
        "email": True,
        "sms": True,
        "in_app": True,
        "email_address": "sara.ahmadi@example.ir",
        "phone": "۰۹۱۲ ۱۲۳ ۴۵۶۷",
    }
    saved = await notifications.client.put(PATH, headers=SARA, json=body)
    assert saved.status_code == 200, saved.text
    assert saved.json()["phone"] == "+989121234567"
    again = await notifications.client.get(PATH, headers=SARA)
    assert again.json() == {**body, "phone": "+989121234567"}
    other_brand = await notifications.client.get(
        PATH, headers=bearer("customer", "cust-1", "other")
    )
    assert other_brand.json()["email"] is False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": True}, "email_address"),
        ({"sms": True}, "phone"),
        ({"email": True, "email_address": "نه-ایمیل"}, "email_address"),
        ({"sms": True, "phone": "0212345678"}, "phone"),
        ({"email": False, "fax": True}, "fax"),
        ({"email": "بله"}, "email"),
    ],
)
async def test_bad_preferences_are_422_naming_the_field(
    notifications: Notifications, body: dict[str, object], field: str
) -> None:
    response = await notifications.client.put(PATH, headers=SARA, json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in response.json()["errors"]]


@pytest.mark.parametrize("role", ["agent", "admin", "representative"])
async def test_only_customers_have_preferences(notifications: Notifications, role: str) -> None:
    who = (
        bearer(role, "someone", customers=["cust-1"])
        if role == "representative"
        else bearer(role, "someone")
    )
    assert (await notifications.client.get(PATH, headers=who)).status_code == 403
    put = await notifications.client.put(PATH, headers=who, json={"email": False})
    assert put.status_code == 403
