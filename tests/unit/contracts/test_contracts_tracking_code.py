from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ticketing_contracts import is_valid_tracking_code, make_tracking_code, normalize_tracking_code
from ticketing_contracts.tracking_code import damm_check_digit

PERSIAN = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_INDIC = "٠١٢٣٤٥٦٧٨٩"
SAMPLE_CODES = [make_tracking_code(d) for d in ("4071932", "00000", "9876543210", "13579246801")]


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("۱۲۳-۴۵۶ ۷۸", "12345678"),
        ("٤٠٧١٩٣٢٨", "40719328"),
        ("40719328", "40719328"),
        (" 4071 9328 ", "40719328"),
        ("۴۰۷۱\u00a0۹۳۲۸", "40719328"),  # no-break space
        ("۴۰۷۱\u200c۹۳۲۸", "40719328"),  # zero-width non-joiner
        ("\u200f۴۰۷۱-۹۳۲۸\u200e", "40719328"),  # RLM/LRM copied from RTL text
        ("4071–9328", "40719328"),  # en dash
        ("4071—9328", "40719328"),  # em dash
        ("4071\u22129328", "40719328"),  # minus sign
        ("4071\u20109328", "40719328"),  # hyphen
        ("۴0٧1-9۳28", "40719328"),  # mixed scripts
        ("123456", "123456"),
        ("123456789012", "123456789012"),
    ],
)
def test_typed_codes_normalise_to_ascii_digits(typed: str, code: str) -> None:
    assert normalize_tracking_code(typed) == code


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "12345",
        "۱۲۳-۴۵",
        "1234567890123",
        "۱۲۳۴۵۶۷۸۹۰۱۲۳",
        "12a456",
        "TK-123456",
        "١٢٣٤٥٦x",
        "１２３４５６",  # fullwidth digits are not a tracking code
        "१२३४५६",  # nor are Devanagari ones
        "123_456",
        "123.456",
    ],
)
def test_what_cannot_be_a_code_normalises_to_none(typed: str) -> None:
    assert normalize_tracking_code(typed) is None


def test_the_check_digit_follows_the_damm_algorithm() -> None:
    # The worked example of the algorithm: 572 -> 4.
    assert damm_check_digit("572") == "4"
    assert make_tracking_code("4071932") == "40719321"
    assert is_valid_tracking_code("40719321")
    assert not is_valid_tracking_code("40719328")


@pytest.mark.parametrize("code", SAMPLE_CODES)
def test_every_single_digit_substitution_is_detected(code: str) -> None:
    assert is_valid_tracking_code(code)
    for i, original in enumerate(code):
        for digit in "0123456789":
            if digit != original:
                mistyped = code[:i] + digit + code[i + 1 :]
                assert not is_valid_tracking_code(mistyped), (code, mistyped)


@pytest.mark.parametrize("code", SAMPLE_CODES)
def test_every_adjacent_transposition_is_detected(code: str) -> None:
    swaps = 0
    for i in range(len(code) - 1):
        if code[i] != code[i + 1]:
            swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
            assert not is_valid_tracking_code(swapped), (code, swapped)
            swaps += 1
    assert swaps > 0 or len(set(code)) == 1


def test_adjacent_transpositions_are_detected_for_every_pair_of_digits() -> None:
    for a in range(10):
        for b in range(10):
            if a != b:
                code = make_tracking_code(f"12{a}{b}3")
                swapped = code[:2] + code[3] + code[2] + code[4:]
                assert not is_valid_tracking_code(swapped), (code, swapped)


@given(st.text(alphabet="0123456789", min_size=5, max_size=11))
def test_made_codes_are_valid_and_survive_persian_typing(random_digits: str) -> None:
    code = make_tracking_code(random_digits)
    assert len(code) == len(random_digits) + 1
    assert is_valid_tracking_code(code)
    typed = "-".join(PERSIAN[int(c)] for c in code)
    assert normalize_tracking_code(typed) == code
    assert normalize_tracking_code(code.translate(str.maketrans("0123456789", ARABIC_INDIC))) == (
        code
    )


@pytest.mark.parametrize("random_digits", ["", "1234", "123456789012", "12a45", "۱۲۳۴۵", "12 345"])
def test_make_tracking_code_refuses_what_would_not_be_a_code(random_digits: str) -> None:
    with pytest.raises(ValueError, match="digits"):
        make_tracking_code(random_digits)


@pytest.mark.parametrize("code", ["4071-9328", "۴۰۷۱۹۳۲۸", "12345", "", "4071932８"])
def test_is_valid_expects_a_normalised_code(code: str) -> None:
    assert not is_valid_tracking_code(code)
