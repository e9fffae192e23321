"""Value types of the ticket domain: roles, sides, states, the brand catalogue."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    CUSTOMER = "customer"
    REPRESENTATIVE = "representative"
    AGENT = "agent"
    ADMIN = "admin"


class Side(StrEnum):
    """Which side of the conversation: a representative acts on the customer side."""

    CUSTOMER = "customer"
    AGENT = "agent"


class AgentState(StrEnum):
    """The support-side half of the status, in the order of the seed's table (STATES.md)."""

    NOT_SEEN = "not_seen"
    REVIEWING = "reviewing"
    ANSWERED_FOLLOWING_UP = "answered_following_up"
    ANSWERED = "answered"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who issues a command, as the verified token says.

    `departments` is None for an agent who serves every department of the brand.
    `customers` are the customer ids a representative may act for.
    """

    id: str
    role: Role
    departments: frozenset[str] | None = None
    customers: frozenset[str] = field(default_factory=frozenset)

    @property
    def side(self) -> Side:
        if self.role in (Role.CUSTOMER, Role.REPRESENTATIVE):
            return Side.CUSTOMER
        return Side.AGENT

    def serves(self, department: str) -> bool:
        """Whether an agent-side actor covers this department (admins cover all)."""
        if self.role is Role.ADMIN:
            return True
        return self.role is Role.AGENT and (
            self.departments is None or department in self.departments
        )

    def acts_for(self, customer_id: str) -> bool:
        """Whether a customer-side actor may act as this customer."""
        if self.role is Role.CUSTOMER:
            return customer_id == self.id
        return self.role is Role.REPRESENTATIVE and customer_id in self.customers


# The seeds' defaults (API.md): code -> Persian label.
DEFAULT_DEPARTMENTS: Mapping[str, str] = {
    "technical": "پشتیبانی فنی",
    "finance": "امور مالی",
    "upgrade": "ارتقا و تمدید",
    "refunds": "بازگشت وجه",
    "documents": "مدارک",
    "feedback": "انتقادات و پیشنهادات",
}
DEFAULT_REQUEST_TYPES: Mapping[str, str] = {
    "technical": "فنی",
    "financial": "مالی",
    "hr": "منابع انسانی",
    "general": "عمومی",
    "complaint": "شکایت",
}


@dataclass(frozen=True, slots=True)
class BrandCatalog:
    """The departments and request types one brand offers, each code with its Persian label."""

    departments: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_DEPARTMENTS))
    request_types: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_REQUEST_TYPES))
