"""The relay's checkpoint in memory: for tests (it keeps every save, in order)."""

from __future__ import annotations


class InMemoryRelayCheckpoint:
    """`RelayCheckpoint` that forgets everything with the process."""

    def __init__(self, position: int = 0) -> None:
        self.saves: list[int] = []
        self._position = position

    async def load(self) -> int:
        return self._position

    async def save(self, position: int) -> None:
        if position < 0:
            raise ValueError(f"a checkpoint position cannot be negative: {position}")
        self._position = position
        self.saves.append(position)
