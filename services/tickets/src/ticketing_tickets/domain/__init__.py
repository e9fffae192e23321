"""The ticket domain: pure Python, standard library only."""

from .errors import DomainError, FieldError, Forbidden, TicketNotFound, ValidationFailed
from .events import EVENT_TYPES, TicketEvent
from .ticket import UNSET, Ticket
from .values import (
    Actor,
    AgentState,
    BrandCatalog,
    Priority,
    Role,
    Side,
)

__all__ = [
    "EVENT_TYPES",
    "UNSET",
    "Actor",
    "AgentState",
    "BrandCatalog",
    "DomainError",
    "FieldError",
    "Forbidden",
    "Priority",
    "Role",
    "Side",
    "Ticket",
    "TicketEvent",
    "TicketNotFound",
    "ValidationFailed",
]
