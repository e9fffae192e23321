"""Who may read an attachment (API.md, Who sees what): the one rule for downloads and for
commands that name attachments (a caller may put on a message only what it may read, or the
message would hand the file to everyone who sees that ticket).

An attachment is readable by its uploader, and by whoever may see a ticket that references it:
a customer their own tickets, a representative their customers' tickets (both from the customer
side, so never through an internal note only), an agent the tickets of their departments, an
admin every ticket of the brand. Brands never cross: callers look attachments up in their brand.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Attachment:
    """One stored upload's metadata; the bytes live in the blob store under `blob_key`."""

    brand_id: str
    attachment_id: str
    uploader_id: str
    uploader_role: str
    filename: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime

    @property
    def blob_key(self) -> str:
        return blob_key(self.brand_id, self.attachment_id)


def blob_key(brand_id: str, attachment_id: str) -> str:
    """Blobs are keyed by brand and id only; the client's filename never reaches a path."""
    return f"{brand_id}/{attachment_id}"


@dataclass(frozen=True, slots=True)
class Caller:
    """The caller as its token says (same brand implied: lookups are per brand)."""

    user_id: str
    role: str
    departments: frozenset[str] | None = None  # agents: None means every department
    customers: frozenset[str] = frozenset()  # representatives: whom they act for


@dataclass(frozen=True, slots=True)
class TicketAccess:
    """A ticket that references an attachment, as far as reading it is concerned.
    `visible` is whether any visible message (not only internal notes) carries it."""

    ticket_id: str
    customer_id: str
    department: str
    visible: bool


def _sees(caller: Caller, ticket: TicketAccess) -> bool:
    match caller.role:
        case "admin":
            return True
        case "agent":
            return caller.departments is None or ticket.department in caller.departments
        case "customer":
            return ticket.visible and ticket.customer_id == caller.user_id
        case "representative":
            return ticket.visible and ticket.customer_id in caller.customers
        case _:
            return False


def may_read(caller: Caller, attachment: Attachment, tickets: Iterable[TicketAccess]) -> bool:
    """Whether `caller` may download `attachment` (already found in the caller's brand), and so
    name it in a command; `tickets` are the known tickets that reference it."""
    if attachment.uploader_id == caller.user_id:
        return True
    return any(_sees(caller, ticket) for ticket in tickets)
