"""Fast ids are real version-4 UUIDs; the token cache never outlives a token."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from ticketing_web.auth import TokenVerifier, Unauthorized, mint_token
from ticketing_web.ids import new_hex_id, new_uuid, random_digits

SECRET = "a-test-secret-that-is-long-enough-for-hs256"


def test_hex_ids_are_distinct_version_4_uuids() -> None:
    ids = [new_hex_id() for _ in range(20_000)]
    assert len(set(ids)) == len(ids)
    for hex_id in ids[:2000]:
        parsed = uuid.UUID(hex_id)
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
        assert parsed.hex == hex_id
    assert new_uuid().version == 4


def test_random_digits_have_the_length_asked_and_never_a_leading_zero() -> None:
    for length in (1, 7, 9, 11):
        for _ in range(500):
            digits = random_digits(length)
            assert len(digits) == length
            assert digits.isdigit()
            assert digits[0] != "0"


async def test_a_cached_token_is_refused_once_it_expires() -> None:
    verifier = TokenVerifier(hs256_secret=SECRET, leeway_seconds=0)
    now = int(time.time())
    token = mint_token(
        secret=SECRET, sub="c1", role="customer", brand="acme", ttl_seconds=1, now=now
    )
    assert (await verifier.verify(token)).sub == "c1"
    await asyncio.sleep(now + 1.2 - time.time())
    with pytest.raises(Unauthorized):
        await verifier.verify(token)


async def test_a_token_signed_with_another_key_is_never_cached_as_valid() -> None:
    verifier = TokenVerifier(hs256_secret=SECRET)
    forged = mint_token(
        secret="another-secret-that-is-long-enough-too",
        sub="c1",
        role="customer",
        brand="acme",
        ttl_seconds=60,
        now=int(time.time()),
    )
    for _ in range(2):
        with pytest.raises(Unauthorized):
            await verifier.verify(forged)


@pytest.mark.parametrize("brand", ["acme\n", "acme-shop", "", "a" * 65, "برند"], ids=repr)
async def test_a_token_whose_brand_is_not_1_to_64_word_characters_is_refused(brand: str) -> None:
    # "acme\n" passed while the pattern was `^…$` used with match: `$` matches before a final
    # newline, and the brand names stream prefixes.
    token = mint_token(
        secret=SECRET, sub="c1", role="customer", brand=brand, ttl_seconds=60, now=int(time.time())
    )
    with pytest.raises(Unauthorized, match="brand"):
        await TokenVerifier(hs256_secret=SECRET).verify(token)
