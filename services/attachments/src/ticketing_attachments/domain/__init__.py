"""The attachments domain: records, who may read or reuse them, and safe filenames. Stdlib only."""

from .access import (
    Attachment,
    Caller,
    TicketAccess,
    may_read,
    may_reuse,
)
from .filenames import content_disposition, sanitize_filename

__all__ = [
    "Attachment",
    "Caller",
    "TicketAccess",
    "content_disposition",
    "may_read",
    "may_reuse",
    "sanitize_filename",
]
