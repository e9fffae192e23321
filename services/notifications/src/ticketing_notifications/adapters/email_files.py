"""EmlDirectory: the embedded mode's email channel: each message an `.eml` file in a folder."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from ticketing_web.ids import new_hex_id

from ticketing_notifications.application.ports import OutgoingMessage

from .email_message import mime_email


class EmlDirectory:
    """Writes `<directory>/<time>-<id>.eml` (written whole, then renamed into place)."""

    def __init__(self, directory: Path, *, sender: str) -> None:
        self._directory = directory
        self._sender = sender

    async def send(self, message: OutgoingMessage) -> None:
        data = mime_email(message, sender=self._sender).as_bytes()
        await asyncio.to_thread(self._write, data)

    def _write(self, data: bytes) -> None:
        self._directory.mkdir(parents=True, exist_ok=True)
        name = f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{new_hex_id()}.eml"
        partial = self._directory / f".{name}.partial"
        partial.write_bytes(data)
        os.replace(partial, self._directory / name)
