"""The public format of a ticket's tracking code.

A tracking code is 6 to 12 ASCII digits, the last one a Damm check digit. Damm catches every
single-digit error and every transposition of adjacent digits, the usual mistakes when a code
is read out over the phone or typed from a receipt. People may type it with Persian or
Arabic-Indic digits, spaces and dashes; `normalize_tracking_code` turns that into the code.
All functions are pure: the random digits come from the caller.
"""

from __future__ import annotations

import re

TRACKING_CODE_MIN_LENGTH = 6
TRACKING_CODE_MAX_LENGTH = 12
TRACKING_CODE_PATTERN = r"^[0-9]{6,12}$"
"""The shape of a tracking code on the wire (the check digit is not expressible here)."""

# The Damm quasigroup of order 10 (weakly totally anti-symmetric, zero diagonal).
_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)

_DIGITS = {0x06F0 + i: str(i) for i in range(10)}  # Persian ۰..۹
_DIGITS.update({0x0660 + i: str(i) for i in range(10)})  # Arabic-Indic ٠..٩
_HYPHENS = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
# Invisible characters that ride along when a code is copied from Persian (RTL) text:
# zero-width space/non-joiner/joiner, LRM/RLM, Arabic letter mark, bidi isolates, BOM.
_INVISIBLE = "\u200b\u200c\u200d\u200e\u200f\u061c\u2066\u2067\u2068\u2069\ufeff"
_TABLE: dict[int, str | None] = {
    **_DIGITS,
    **{ord(c): None for c in _HYPHENS + _INVISIBLE},
}
_CODE = re.compile(TRACKING_CODE_PATTERN)
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def normalize_tracking_code(text: str) -> str | None:
    """The tracking code typed in `text`, as ASCII digits, or None if it cannot be one.

    Persian and Arabic-Indic digits become ASCII; spaces of any kind (NBSP included), ZWNJ
    and other invisible marks, and hyphens or dashes are dropped. Anything else (letters,
    other scripts' digits, control characters and line breaks) makes it None, as does a
    length outside 6..12. The check digit is
    not verified here: see `is_valid_tracking_code`.
    """
    if _CONTROLS.search(text):
        return None  # a typed code never holds a newline, NUL or other control
    translated = text.translate(_TABLE)
    digits = "".join(ch for ch in translated if not ch.isspace())
    return digits if _CODE.fullmatch(digits) else None


def damm_check_digit(digits: str) -> str:
    """The Damm check digit of a string of ASCII digits."""
    _require_ascii_digits(digits)
    interim = 0
    for ch in digits:
        interim = _DAMM[interim][ord(ch) - 48]
    return str(interim)


def make_tracking_code(random_digits: str) -> str:
    """A tracking code: `random_digits` (5..11 ASCII digits) followed by their check digit."""
    _require_ascii_digits(random_digits)
    if not TRACKING_CODE_MIN_LENGTH - 1 <= len(random_digits) <= TRACKING_CODE_MAX_LENGTH - 1:
        raise ValueError(
            f"a tracking code needs {TRACKING_CODE_MIN_LENGTH - 1}..{TRACKING_CODE_MAX_LENGTH - 1}"
            f" random digits, got {len(random_digits)}"
        )
    return random_digits + damm_check_digit(random_digits)


def is_valid_tracking_code(code: str) -> bool:
    """Whether `code` is an already normalised tracking code whose check digit is right."""
    if not _CODE.fullmatch(code):
        return False
    return damm_check_digit(code) == "0"


def _require_ascii_digits(digits: str) -> None:
    if not digits or not (digits.isascii() and digits.isdigit()):
        raise ValueError(f"expected ASCII digits, got {digits!r}")
