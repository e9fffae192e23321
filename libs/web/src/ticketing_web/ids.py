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


def new_uuid() -> uuid.UUID:
    """A random (version 4) UUID."""
    return uuid.UUID(int=_rng.getrandbits(128), version=4)


def new_hex_id() -> str:
    """A random UUID as 32 lowercase hex characters (ticket, message and correlation ids)."""
    return new_uuid().hex


def random_digits(length: int) -> str:
    """`length` random decimal digits, the first never 0 (codes read out on a phone)."""
    first = _rng.randrange(1, 10)
    rest = _rng.randrange(10 ** (length - 1))
    return f"{first}{rest:0{length - 1}d}"
