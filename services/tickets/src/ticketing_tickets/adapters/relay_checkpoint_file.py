"""The relay's checkpoint in a small file (`<data_dir>/relay.checkpoint`), replaced atomically.

A save writes a temporary file beside it, fsyncs it, renames it over the old one and fsyncs the
directory: after a crash the file holds either the old position or the new one, never a mix.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path


class CheckpointFileError(RuntimeError):
    """The checkpoint file exists but does not hold a position (never written by us)."""


class FileRelayCheckpoint:
    """`RelayCheckpoint` in a file; the directory is created on the first save."""

    def __init__(self, path: Path) -> None:
        self.path = path

    async def load(self) -> int:
        return await asyncio.to_thread(self._load)

    async def save(self, position: int) -> None:
        if position < 0:
            raise ValueError(f"a checkpoint position cannot be negative: {position}")
        await asyncio.to_thread(self._save, position)

    def _load(self) -> int:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return 0
        try:
            position = json.loads(text)["position"]
        except (ValueError, KeyError, TypeError) as error:
            raise CheckpointFileError(f"{self.path} holds no position: {error}") from error
        if not isinstance(position, int) or isinstance(position, bool) or position < 0:
            raise CheckpointFileError(f"{self.path} holds no position: {position!r}")
        return position

    def _save(self, position: int) -> None:
        directory = self.path.parent
        directory.mkdir(parents=True, exist_ok=True)
        temporary = directory / f".{self.path.name}.tmp"
        with temporary.open("w", encoding="utf-8") as file:
            file.write(json.dumps({"position": position}) + "\n")
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, self.path)
        # The rename is durable only once the directory entry is on disk.
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
