"""Which language a request's problems speak, and the Persian field messages themselves."""

from __future__ import annotations

import re

import pytest
from ticketing_web.problems import prefers_persian
from ticketing_web.problems_fa import request_field_message, service_field_message


@pytest.mark.parametrize(
    ("header", "persian"),
    [
        ("fa", True),
        ("fa-IR", True),
        ("FA-ir", True),
        ("fa-IR,fa;q=0.9,en-US;q=0.8,en;q=0.7", True),  # a Persian browser
        ("en-US,en;q=0.9,fa;q=0.8", False),
        ("en;q=0.9, fa", True),
        ("fa;q=0.5, en", False),
        ("de, fa;q=0.8", True),  # German is not on offer; Persian is the next wish
        ("de, *;q=0.9, fa;q=0.8", False),  # anything (English) before Persian
        ("fa, en", True),  # a tie goes to the first
        ("en, fa", False),
        ("fa;q=0", False),
        ("fa;q=abc", False),
        ("fa;q=2", False),
        ("farsi", False),
        ("", False),
        ("*", False),
    ],
)
def test_persian_is_chosen_only_when_it_is_preferred_to_english(header: str, persian: bool) -> None:
    assert prefers_persian(header) is persian


ENGLISH = re.compile(r"\b(must|unknown|required|least|most|valid|field|one of|not)\b", re.I)


@pytest.mark.parametrize(
    ("field", "message", "expected"),
    [
        ("title", "must not be empty", "عنوان نباید خالی باشد."),
        ("body", "must be at most 20000 characters", "متن باید حداکثر ۲۰۰۰۰ نویسه باشد."),
        ("title", "must not contain control characters", "عنوان نباید نویسه‌های کنترلی داشته باشد."),
        (
            "department",
            "unknown department 'sales'; one of ['finance', 'technical']",
            "بخش «sales» در فهرست این برند نیست.",
        ),
        (
            "priority",
            "unknown priority 'critical'; one of ['low', 'normal', 'high', 'urgent']",
            "فوریت باید یکی از این‌ها باشد: «low»، «normal»، «high» یا «urgent».",
        ),
        ("attachment_ids", "at most 10 attachments", "حداکثر ۱۰ پیوست مجاز است."),
        (
            "customer_id",
            "required when a representative opens a ticket",
            "وقتی نماینده تیکت باز می‌کند، شناسه‌ی مشتری لازم است.",
        ),
        (
            "customer_id",
            "required when an agent opens a ticket",
            "وقتی کارشناس تیکت باز می‌کند، شناسه‌ی مشتری لازم است.",
        ),
        (
            "assignee_id",
            "must be a user id or null",
            "کارشناس مسئول باید شناسه‌ی یک کاربر یا null باشد.",
        ),
        (
            "email_address",
            "required when email is true",
            "برای دریافت ایمیل، نشانی ایمیل لازم است.",
        ),
        ("reason", "something no one wrote a pattern for", "دلیل بستن درست نیست."),
    ],
)
def test_the_services_field_messages_read_as_persian_sentences(
    field: str, message: str, expected: str
) -> None:
    said = service_field_message(field=field, message=message)
    assert said == expected
    assert not ENGLISH.search(said)


@pytest.mark.parametrize(
    ("field", "error_type", "ctx", "expected"),
    [
        ("title", "missing", {}, "عنوان لازم است."),
        ("title", "string_too_short", {"min_length": 1}, "عنوان نباید خالی باشد."),
        ("limit", "greater_than_equal", {"ge": 1}, "تعداد در هر صفحه باید دست‌کم ۱ باشد."),
        ("limit", "less_than_equal", {"le": 100}, "تعداد در هر صفحه باید حداکثر ۱۰۰ باشد."),
        ("unread", "bool_parsing", {}, "فقط خوانده‌نشده‌ها باید true یا false باشد."),
        (
            "priority",
            "literal_error",
            {"expected": "'low', 'normal', 'high' or 'urgent'"},
            "فوریت باید یکی از این‌ها باشد: «low»، «normal»، «high» یا «urgent».",
        ),
        ("attachment_ids", "too_long", {"max_length": 10}, "پیوست‌ها حداکثر ۱۰ مورد می‌پذیرد."),
        (
            "status",
            "value_error",
            {"error": "status codes are 1..8"},
            "وضعیت باید کدی از ۱ تا ۸ باشد.",
        ),
        ("customer_phone", "extra_forbidden", {}, "فیلد «customer_phone» شناخته‌شده نیست."),
        ("title", "some_future_type", {}, "عنوان درست نیست."),
    ],
)
def test_request_validation_messages_are_written_from_pydantics_error_type(
    field: str, error_type: str, ctx: dict[str, object], expected: str
) -> None:
    said = request_field_message(
        field=field, error_type=error_type, ctx=ctx, message="English text", whole_body=False
    )
    assert said == expected
