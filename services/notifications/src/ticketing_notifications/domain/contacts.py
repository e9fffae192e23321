"""Contact details as customers type them: phone numbers in Persian or Latin digits."""

from __future__ import annotations

import re

_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_SEPARATORS = re.compile(r"[\s\-()\u200c]")
#: Controls and line breaks are not typing: a number carrying one is refused, not cleaned.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_LOCAL = re.compile(r"09[0-9]{9}")
_E164_IRAN = re.compile(r"\+989[0-9]{9}")
_E164 = re.compile(r"\+[1-9][0-9]{7,14}")


class BadPhone(ValueError):
    """Not an Iranian mobile number (09xxxxxxxxx) nor an E.164 number."""


def normalise_phone(text: str) -> str:
    """The number in E.164 (`+989121234567`); Persian/Arabic digits, spaces, hyphens accepted.

    `09xxxxxxxxx` and `00989…` become `+989…`; other E.164 numbers are kept as they are.
    """
    if _CONTROLS.search(text):
        raise BadPhone("a phone number has no control characters or line breaks")
    raw = _SEPARATORS.sub("", text.translate(_DIGITS))
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    if _LOCAL.fullmatch(raw):
        return "+98" + raw[1:]
    if raw.startswith("+98"):
        if _E164_IRAN.fullmatch(raw):
            return raw
        raise BadPhone("an Iranian mobile number is +989 and nine digits")
    if _E164.fullmatch(raw):
        return raw
    raise BadPhone("expected 09xxxxxxxxx or an E.164 number (+98…)")
