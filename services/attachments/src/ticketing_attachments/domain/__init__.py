"""The attachments domain: records, who may read them, and safe filenames. Stdlib only."""

from .access import (
    Attachment,
    Caller,
    TicketAccess,
    may_read,
)
from .filenames import content_disposition, sanitize_filename

__all__ = [
    "Attachment",
    "Caller",
    "TicketAccess",
    "content_disposition",
    "may_read",
    "sanitize_filename",
]
