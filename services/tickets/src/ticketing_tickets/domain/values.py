"""Value types of the ticket domain: priorities, the actor, the brand catalogue. Roles, sides and
the support side's state are the shared model's (ticketing_model), re-exported here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from ticketing_model import AgentState, Role, Side

__all__ = ["Actor", "AgentState", "BrandCatalog", "Priority", "Role", "Side"]


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who issues a command, as the verified token says.

    `departments` is None for an agent who serves every department of the brand.
    `customers` are the customer ids a representative may act for. `name` is the person's
    name from the token (already checked), recorded with the events they cause; None without one.
    """

    id: str
    role: Role
    departments: frozenset[str] | None = None
    customers: frozenset[str] = field(default_factory=frozenset)
    name: str | None = None

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


class BrandCatalog(Protocol):
    """The departments and request types one brand offers, each code with its Persian label
    (ticketing_contracts.catalog.BrandCatalog is the one the service configures)."""

    @property
    def departments(self) -> Mapping[str, str]: ...

    @property
    def request_types(self) -> Mapping[str, str]: ...
