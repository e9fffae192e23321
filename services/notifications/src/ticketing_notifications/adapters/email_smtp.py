"""SmtpEmail: the email channel over SMTP (aiosmtplib), for the distributed mode."""

from __future__ import annotations

import aiosmtplib

from ticketing_notifications.application.ports import OutgoingMessage

from .email_message import mime_email


class SmtpEmail:
    """Sends each message in its own SMTP session; any SMTP error raises (and is retried)."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        start_tls: bool | None = None,
        timeout: float = 30.0,
    ) -> None:
        self._host = host
        self._port = port
        self._sender = sender
        self._username = username
        self._password = password
        self._start_tls = start_tls
        self._timeout = timeout

    async def send(self, message: OutgoingMessage) -> None:
        await aiosmtplib.send(
            mime_email(message, sender=self._sender),
            hostname=self._host,
            port=self._port,
            username=self._username,
            password=self._password,
            start_tls=self._start_tls,
            timeout=self._timeout,
        )
