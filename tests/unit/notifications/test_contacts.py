"""Phone numbers as Iranian customers type them."""

from __future__ import annotations

import pytest
from ticketing_notifications.domain.contacts import BadPhone, normalise_phone


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("09121234567", "+989121234567"),
        ("۰۹۱۲۱۲۳۴۵۶۷", "+989121234567"),
        ("٠٩١٢١٢٣٤٥٦٧", "+989121234567"),
        ("0912 123 4567", "+989121234567"),
        ("+98 912-123-4567", "+989121234567"),
        ("00989121234567", "+989121234567"),
        ("+۹۸۹۱۲۱۲۳۴۵۶۷", "+989121234567"),
        ("+14155550123", "+14155550123"),
    ],
)
def test_a_mobile_number_is_stored_in_e164(typed: str, stored: str) -> None:
    assert normalise_phone(typed) == stored


@pytest.mark.parametrize("typed", ["0212345678", "9121234567", "+98211234567", "تلفن", ""])
def test_a_number_that_is_not_a_mobile_is_refused(typed: str) -> None:
    with pytest.raises(BadPhone):
        normalise_phone(typed)
