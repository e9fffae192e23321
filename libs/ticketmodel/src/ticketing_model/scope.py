"""Who sees which ticket (API.md, Who sees what), decided once on a ticket's current facts.

A customer sees its own tickets and a representative those of the customers in its claim, both
from the customer side; an agent sees the tickets of its departments (all of them without a
claim) and an admin every ticket, both from the agent side. Never another brand's. Adapters that
select tickets in a store translate a Scope into their query language; a property test holds
each translation to `admits`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from .roles import Role, Side


class TicketPlace(Protocol):
    """What visibility depends on: the ticket's brand, customer and current department
    (`TicketFacts` and the query view both have them)."""

    @property
    def brand_id(self) -> str: ...

    @property
    def customer_id(self) -> str: ...

    @property
    def department(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Scope:
    """Which tickets a caller may see, and from which side.

    `customer_ids` limits the customer side (a customer: itself; a representative: its claim);
    `departments` limits the agent side; None on either means no limit within the brand.
    """

    brand_id: str
    side: Side
    customer_ids: frozenset[str] | None = None
    departments: frozenset[str] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "side", Side(self.side))  # "agent" given as text is fine

    @classmethod
    def for_identity(
        cls,
        *,
        role: Role | str,
        sub: str,
        brand: str,
        departments: Iterable[str] | None = None,
        customers: Iterable[str] = (),
    ) -> Scope:
        """The scope of a caller with these (verified) claims; ValueError for an unknown role."""
        match Role(role):
            case Role.CUSTOMER:
                return cls(brand, Side.CUSTOMER, customer_ids=frozenset([sub]))
            case Role.REPRESENTATIVE:
                return cls(brand, Side.CUSTOMER, customer_ids=frozenset(customers))
            case Role.AGENT:
                allowed = frozenset(departments) if departments is not None else None
                return cls(brand, Side.AGENT, departments=allowed)
            case Role.ADMIN:
                return cls(brand, Side.AGENT)
        raise ValueError(f"unknown role {role!r}")  # pragma: no cover - Role() raised first

    def admits(self, ticket: TicketPlace) -> bool:
        """Whether a caller of this scope may see the ticket at all, as it stands now."""
        if ticket.brand_id != self.brand_id:
            return False
        if self.side is Side.CUSTOMER:
            return self.customer_ids is None or ticket.customer_id in self.customer_ids
        return self.departments is None or ticket.department in self.departments
