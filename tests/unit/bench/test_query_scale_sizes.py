"""The query bench's larger sizes are named as `1m`, `100k`, `100x10k`; a malformed one is
refused before an hour of filling, and `none` skips them."""

from __future__ import annotations

import pytest

from bench.query_scale import brand_names, parse_size, sizes_from


@pytest.mark.parametrize(
    ("text", "brands", "tickets"),
    [
        ("1m", 1, 1_000_000),
        ("100k", 1, 100_000),
        ("100x10k", 100, 10_000),
        ("10x1k", 10, 1_000),
        (" 2X500 ", 2, 500),
    ],
)
def test_a_size_names_its_brands_and_tickets_per_brand(
    text: str, brands: int, tickets: int
) -> None:
    assert parse_size(text) == (brands, tickets)


@pytest.mark.parametrize("text", ["", "1g", "x10k", "10x", "1m;", "ده هزار", "-5"])
def test_a_malformed_size_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="a size is"):
        parse_size(text)


def test_sizes_default_to_both_larger_sizes_and_none_skips_them() -> None:
    assert sizes_from(None) == ["1m", "100x10k"]
    assert sizes_from("none") == []
    assert sizes_from("1m, 10x1k") == ["1m", "10x1k"]
    with pytest.raises(ValueError, match="a size is"):
        sizes_from("1m,2q")


def test_one_brand_keeps_the_bench_brand_and_many_get_numbered_names() -> None:
    assert brand_names(1) == ["bench"]
    assert brand_names(3) == ["bench000", "bench001", "bench002"]
