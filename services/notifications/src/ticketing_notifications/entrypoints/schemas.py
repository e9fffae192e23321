"""Request and response bodies of the notifications API, and the list cursor."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field
from ticketing_web.jalali import jalali
from ticketing_web.text import decode_base64url

from ticketing_notifications.application.ports import DeadLetter, Item, Preferences, Unconfirmed
from ticketing_notifications.domain.contacts import normalise_phone

_CURSOR = re.compile(r"n1\.([0-9]{1,18})")


class NotificationOut(BaseModel):
    notification_id: str
    ticket_id: str
    tracking_code: str
    kind: str = Field(
        description="ticket_opened, customer_replied (to a department); ticket_opened_for_you, "
        "agent_replied, ticket_under_review, ticket_closed, ticket_reopened, ticket_transferred "
        "(to a customer)"
    )
    text: str = Field(
        description="Persian, ready to show: names the ticket's title and tracking code (and the "
        "department's label in texts to agents); the title is set between Unicode isolates"
    )
    created_at: datetime = Field(description="ISO 8601, UTC")
    created_at_jalali: str = Field(description="Solar Hijri, Tehran time: `1404/03/30 14:05`")
    read: bool = Field(description="read by the caller (agents each have their own flags)")


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null: last")
    unread_count: int = Field(
        description="the caller's unread notifications in all, whatever the page and filter "
        "(the bell's badge)"
    )


def item_of(item: Item) -> NotificationOut:
    return NotificationOut(
        notification_id=item.notification_id,
        ticket_id=item.ticket_id,
        tracking_code=item.tracking_code,
        kind=item.kind,
        text=item.text,
        created_at=item.created_at.astimezone(UTC),
        created_at_jalali=jalali(item.created_at),
        read=item.read,
    )


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"n1.{seq}".encode()).rstrip(b"=").decode()


def decode_cursor(text: str) -> int:
    """The seq a cursor stands for; ValueError (a 422 naming `cursor`) if it is not one."""
    try:
        raw = decode_base64url(text).decode()
    except ValueError as error:  # UnicodeDecodeError is one
        raise ValueError("not a cursor from this list") from error
    found = _CURSOR.fullmatch(raw)
    if not found:
        raise ValueError("not a cursor from this list")
    return int(found.group(1))


def _checked_cursor(text: str | None) -> str | None:
    if text is not None:
        decode_cursor(text)
    return text


CursorText = Annotated[str | None, AfterValidator(_checked_cursor)]


def _phone(text: str | None) -> str | None:
    return None if text is None or not text.strip() else normalise_phone(text)


class PreferencesIn(BaseModel):
    """The customer's channels; an address is required for each external channel enabled."""

    model_config = ConfigDict(extra="forbid")

    email: bool = False
    sms: bool = False
    in_app: bool = True
    email_address: EmailStr | None = None
    phone: Annotated[str | None, AfterValidator(_phone)] = None

    def missing(self) -> list[dict[str, str]]:
        """The cross-field errors: a channel enabled without its address."""
        errors = []
        if self.email and not self.email_address:
            errors.append({"field": "email_address", "message": "required when email is true"})
        if self.sms and not self.phone:
            errors.append({"field": "phone", "message": "required when sms is true"})
        return errors

    def to_preferences(self) -> Preferences:
        return Preferences(self.email, self.sms, self.in_app, self.email_address, self.phone)


class PreferencesOut(BaseModel):
    email: bool
    sms: bool
    in_app: bool
    email_address: str | None
    phone: str | None


def preferences_of(p: Preferences) -> PreferencesOut:
    return PreferencesOut(
        email=p.email,
        sms=p.sms,
        in_app=p.in_app,
        email_address=p.email_address,
        phone=p.phone,
    )


class DeadLetterOut(BaseModel):
    event_id: str
    channel: str
    recipient: str
    address: str
    ticket_id: str
    tracking_code: str
    kind: str
    attempts: int
    reason: str
    failed_at: datetime


def dead_letter_of(d: DeadLetter) -> DeadLetterOut:
    j = d.job
    return DeadLetterOut(
        event_id=j.event_id,
        channel=j.channel,
        recipient=j.recipient,
        address=j.address,
        ticket_id=j.ticket_id,
        tracking_code=j.tracking_code,
        kind=j.kind,
        attempts=j.attempts,
        reason=d.reason,
        failed_at=d.failed_at,
    )


class UnconfirmedOut(BaseModel):
    event_id: str
    channel: str
    recipient: str
    address: str
    claimed_at: datetime


def unconfirmed_of(u: Unconfirmed) -> UnconfirmedOut:
    return UnconfirmedOut(
        event_id=u.event_id,
        channel=u.channel,
        recipient=u.recipient,
        address=u.address,
        claimed_at=u.claimed_at,
    )
