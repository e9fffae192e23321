"""Fast unique ids for requests, events and messages.

`uuid.uuid4()` reads the kernel's random source on every call, which costs ~10 µs on these
machines and showed up in the command path's profile. Ids need uniqueness, not secrecy, so they
come from a Mersenne Twister seeded from the kernel, reseeded in every forked child.
"""

from __future__ import annotations

import os
import random
import uuid

_rng = random.Random(os.urandom(32))  # noqa: S311 - ids need uniqueness, not secrecy


def _reseed() -> None:
    _rng.seed(os.urandom(32))


os.register_at_fork(after_in_child=_reseed)


def _uuid4_int() -> int:
    """128 random bits with the version (4) and variant (RFC 4122) bits set, as uuid.UUID does."""
    bits = _rng.getrandbits(128)
    bits = (bits & ~(0xF000 << 64)) | (0x4000 << 64)
    return (bits & ~(0xC000 << 48)) | (0x8000 << 48)


def new_uuid() -> uuid.UUID:
    """A random (version 4) UUID."""
    return uuid.UUID(int=_uuid4_int())


def new_hex_id() -> str:
    """A random UUID as 32 lowercase hex characters (ticket, message and correlation ids);
    formatted directly, since building a uuid.UUID object costs more than the randomness."""
    return f"{_uuid4_int():032x}"


def random_digits(length: int) -> str:
    """`length` random decimal digits, the first never 0 (codes read out on a phone)."""
    first = _rng.randrange(1, 10)
    if length == 1:
        return str(first)
    rest = _rng.randrange(10 ** (length - 1))
    return f"{first}{rest:0{length - 1}d}"
