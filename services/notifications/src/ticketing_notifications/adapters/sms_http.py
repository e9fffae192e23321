"""HttpSms: the SMS channel through an HTTP gateway; SmsLogFile: the embedded mode's log."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from string import Template
from typing import Any

import httpx

from ticketing_notifications.application.ports import OutgoingMessage

#: The default body: JSON with the number and the text (`$phone`, `$text`, JSON-escaped).
DEFAULT_BODY_TEMPLATE = '{"to": $phone, "text": $text}'


class HttpSms:
    """POSTs `body_template` (with `$phone` and `$text` as JSON strings) to `url`; a non-2xx
    answer or a network error raises (and is retried)."""

    def __init__(
        self,
        *,
        url: str,
        body_template: str = DEFAULT_BODY_TEMPLATE,
        headers: dict[str, str] | None = None,
        timeout: float = 10.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self._url = url
        self._template = Template(body_template)
        self._headers = {"Content-Type": "application/json", **(headers or {})}
        self._client = client or httpx.AsyncClient(timeout=timeout)

    def body(self, message: OutgoingMessage) -> str:
        values: dict[str, Any] = {
            "phone": json.dumps(message.address),
            "text": json.dumps(message.text, ensure_ascii=False),
        }
        return self._template.substitute(values)

    async def send(self, message: OutgoingMessage) -> None:
        response = await self._client.post(
            self._url, content=self.body(message).encode(), headers=self._headers
        )
        response.raise_for_status()

    async def close(self) -> None:
        await self._client.aclose()


class SmsLogFile:
    """Appends one JSON line per message to a file (`<data_dir>/sms.log`)."""

    def __init__(self, path: Path) -> None:
        self._path = path

    async def send(self, message: OutgoingMessage) -> None:
        line = json.dumps({"to": message.address, "text": message.text}, ensure_ascii=False)
        await asyncio.to_thread(self._append, line + "\n")

    def _append(self, line: str) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        with self._path.open("a", encoding="utf-8") as log:
            log.write(line)
            log.flush()
