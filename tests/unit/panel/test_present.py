"""How the panel writes numbers, dates and labels for a Persian reader."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from ticketing_panel import present

STATES_MD = {
    1: "خوانده نشده – خوانده نشده",
    2: "ملاحظه شده ، در حال بررسی – خوانده نشده",
    3: "پاسخ داده شده ، در حال پیگیری – خوانده نشده",
    4: "پاسخ داده شده – خوانده نشده",
    5: "خوانده نشده – خوانده شده",
    6: "ملاحظه شده ، در حال بررسی – خوانده شده",
    7: "پاسخ داده شده ، در حال پیگیری – خوانده شده",
    8: "پاسخ داده شده – خوانده شده",
}


def test_the_sidebar_labels_are_states_md_verbatim() -> None:
    assert present.STATUS_LABELS == STATES_MD


@pytest.mark.parametrize(
    ("code", "state"),
    [
        (1, "not_seen"),
        (2, "reviewing"),
        (3, "answered_following_up"),
        (4, "answered"),
        (5, "not_seen"),
        (8, "answered"),
    ],
)
def test_each_code_has_the_colour_of_its_support_side_state(code: int, state: str) -> None:
    assert present.STATE_OF_CODE[code] == state


def test_digits_go_persian_and_come_back_latin_from_either_script() -> None:
    assert present.fa_digits("کد 87831491") == "کد ۸۷۸۳۱۴۹۱"
    assert present.latin_digits("۸۷۸٣١٤٩۱") == "87831491"


def test_a_utc_time_is_shown_as_the_jalali_date_and_time_in_tehran() -> None:
    # 2025-06-20 10:35 UTC is 14:05 in Tehran on 30 Khordad 1404
    assert present.jalali("2025-06-20T10:35:00Z") == "۱۴۰۴/۰۳/۳۰ ۱۴:۰۵"
    assert present.jalali(datetime(2025, 6, 20, 10, 35, tzinfo=UTC)) == "۱۴۰۴/۰۳/۳۰ ۱۴:۰۵"
    assert present.jalali(None) == ""


def test_the_apis_ready_jalali_is_preferred_and_a_bad_time_shows_nothing() -> None:
    assert present.shown_time({"created_at_jalali": "1404/03/30 14:05"}, "created_at") == (
        "۱۴۰۴/۰۳/۳۰ ۱۴:۰۵"
    )
    assert present.shown_time({"created_at": "not a time"}, "created_at") == ""


def test_priority_labels_fall_back_to_the_panels_words() -> None:
    assert [
        present.priority_label({"priority": p}) for p in ("low", "normal", "high", "urgent")
    ] == ["کم", "معمولی", "زیاد", "فوری"]
    assert present.priority_label({"priority": "high", "priority_label": "زیاد"}) == "زیاد"


@pytest.mark.parametrize(
    ("size", "shown"),
    [(512, "۵۱۲ بایت"), (2048, "۲ کیلوبایت"), (5 * 1024 * 1024 + 1, "۵٫۰ مگابایت"), (None, "")],
)
def test_file_sizes_read_in_persian_units(size: int | None, shown: str) -> None:
    assert present.file_size(size) == shown
