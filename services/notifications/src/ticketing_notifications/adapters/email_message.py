"""The MIME email every email adapter sends: a plain-text part and an RTL HTML alternative."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from ticketing_notifications.application.ports import OutgoingMessage


def mime_email(message: OutgoingMessage, *, sender: str) -> EmailMessage:
    """`message` as a multipart/alternative email from `sender` (UTF-8 throughout)."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.address
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    email.set_content(message.text, charset="utf-8")
    if message.html is not None:
        email.add_alternative(message.html, subtype="html", charset="utf-8")
    return email
