"""The attachments service's internal API: what the tickets and query services ask it over HTTP
in the distributed mode (in-process, the embedded mode calls the same methods directly).

Plain JSON both ways; these models are the one description of it, shared by the server (the
attachments service) and its two clients, so that services never import each other. The calls
carry `Authorization: Bearer <TICKETING_INTERNAL_TOKEN>`, never an end user's token: the brand
and the caller are named in the body by a service that has already verified the end user.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ticketing_contracts.topics import BRAND_ID_PATTERN

CHECK_PATH = "/internal/v1/attachments/check"
DESCRIBE_PATH = "/internal/v1/attachments/describe"
#: A ticket's detail names every attachment of every message at once.
MAX_IDS = 1000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CheckAttachments(_Strict):
    """May this caller put these attachments on a message? Only those it may read, so the
    caller's scope comes along: an agent's `departments` (null: every department; required,
    so a client that forgets it is refused rather than read as "all") and a representative's
    `customers`."""

    brand_id: str = Field(pattern=BRAND_ID_PATTERN)
    user_id: str = Field(min_length=1, max_length=200)
    role: str = Field(min_length=1, max_length=32)
    departments: list[str] | None
    customers: list[str] = []
    attachment_ids: list[str] = Field(max_length=MAX_IDS)


class AttachmentRefusal(_Strict):
    """Why one attachment may not be used: `field` is the command's request field."""

    field: str
    message: str


class CheckResult(_Strict):
    """Empty `refusals`: every attachment may be used."""

    refusals: list[AttachmentRefusal]


class DescribeAttachments(_Strict):
    """What a ticket's detail shows of these attachments (unknown ids are left out)."""

    brand_id: str = Field(pattern=BRAND_ID_PATTERN)
    attachment_ids: list[str] = Field(max_length=MAX_IDS)


class AttachmentDescription(_Strict):
    attachment_id: str
    filename: str
    content_type: str
    size: int = Field(ge=0)


class DescribeResult(_Strict):
    attachments: list[AttachmentDescription]
