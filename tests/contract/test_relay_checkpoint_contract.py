"""The RelayCheckpoint port: one contract, every adapter (in memory, a file in a scratch dir).

The relay relies on exactly this: a fresh checkpoint is 0, a save is what the next load
returns (also from a new instance over the same place, for a durable adapter), and a negative
position is refused rather than stored.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from ticketing_tickets.adapters.relay_checkpoint_file import FileRelayCheckpoint
from ticketing_tickets.adapters.relay_checkpoint_memory import InMemoryRelayCheckpoint
from ticketing_tickets.application.relay_ports import RelayCheckpoint

#: (fresh checkpoint, reopen it as a restarted relay would)
Opened = tuple[RelayCheckpoint, Callable[[], RelayCheckpoint]]


def _memory(_: Path) -> Opened:
    checkpoint = InMemoryRelayCheckpoint()
    return checkpoint, lambda: checkpoint  # lives as long as the process: nothing to reopen


def _file(tmp_path: Path) -> Opened:
    path = tmp_path / "relay" / "relay.checkpoint"
    return FileRelayCheckpoint(path), lambda: FileRelayCheckpoint(path)


@pytest.fixture(params=[_memory, _file], ids=["memory", "file"])
def opened(request: pytest.FixtureRequest, tmp_path: Path) -> Opened:
    factory: Callable[[Path], Opened] = request.param
    return factory(tmp_path)


async def test_a_fresh_checkpoint_is_at_zero(opened: Opened) -> None:
    checkpoint, _ = opened
    assert await checkpoint.load() == 0


async def test_the_last_save_is_what_a_restarted_relay_loads(opened: Opened) -> None:
    checkpoint, reopen = opened
    await checkpoint.save(1042)
    await checkpoint.save(2084)
    assert await checkpoint.load() == 2084
    assert await reopen().load() == 2084


async def test_a_negative_position_is_refused_and_the_saved_one_kept(opened: Opened) -> None:
    checkpoint, reopen = opened
    await checkpoint.save(7)
    with pytest.raises(ValueError, match="negative"):
        await checkpoint.save(-1)
    assert await reopen().load() == 7
