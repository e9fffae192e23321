"""Request and response bodies of the command API (API.md). Unknown request fields are 422."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, StrictBool, StrictStr


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OpenTicketRequest(_Request):
    title: StrictStr
    department: StrictStr
    priority: StrictStr
    body: StrictStr
    request_type: StrictStr = "general"
    attachment_ids: list[StrictStr] = []
    customer_id: StrictStr | None = None


class PostMessageRequest(_Request):
    body: StrictStr
    attachment_ids: list[StrictStr] = []
    follow_up: StrictBool | None = None
    internal: StrictBool | None = None


class CloseTicketRequest(_Request):
    reason: StrictStr | None = None


class ChangeTicketRequest(_Request):
    """Only the fields sent are changed; `assignee_id: null` unassigns."""

    department: StrictStr | None = None
    priority: StrictStr | None = None
    assignee_id: StrictStr | None = None


class OpenedResponse(BaseModel):
    ticket_id: str
    tracking_code: str
    version: int
    position: int


class PostedResponse(BaseModel):
    message_id: str
    version: int
    position: int


class WrittenResponse(BaseModel):
    version: int
    position: int


class LabelledCode(BaseModel):
    code: str
    label: str


class CatalogResponse(BaseModel):
    departments: list[LabelledCode]
    request_types: list[LabelledCode]
