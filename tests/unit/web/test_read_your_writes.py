"""X-Min-Position values: every non-negative integer a store can hand out, and nothing else."""

from __future__ import annotations

import pytest
from fastapi import HTTPException
from ticketing_web.read_your_writes import MAX_POSITION, parse_min_position


@pytest.mark.parametrize(
    ("value", "position"),
    [
        ("0", 0),
        ("00", 0),
        (" 42\t", 42),
        ("999999999999999999", 10**18 - 1),  # 18 digits: the old limit
        ("1000000000000000000", 10**18),
        ("9223372036854775807", MAX_POSITION),  # a KurrentDB commit position can be this large
        ("0009223372036854775807", MAX_POSITION),  # leading zeros do not count
    ],
)
def test_a_non_negative_integer_up_to_two_to_the_63_minus_one_is_a_position(
    value: str, position: int
) -> None:
    assert parse_min_position(value) == position


@pytest.mark.parametrize(
    "value",
    [
        "9223372036854775808",  # 2**63
        "18446744073709551615",
        "9" * 5000,  # longer than int() would take
        "",
        " ",
        "-1",
        "+3",
        "1.5",
        "1e3",
        "0x10",
        "1 2",
        "۱۲",  # Persian digits: ASCII only
        "١٢",  # Arabic-Indic digits
        "１２",  # fullwidth digits
        "\xa012",
    ],
)
def test_anything_else_is_400(value: str) -> None:
    with pytest.raises(HTTPException) as refused:
        parse_min_position(value)
    assert refused.value.status_code == 400
