"""Who acts: the four roles of a token (defined with the contracts, whose envelopes carry them),
and the two sides of a conversation."""

from __future__ import annotations

from enum import StrEnum

from ticketing_contracts.roles import Role

__all__ = ["Role", "Side", "side_of"]


class Side(StrEnum):
    """Which side of the conversation: a representative acts on the customer side, an admin on
    the agent side."""

    CUSTOMER = "customer"
    AGENT = "agent"


def side_of(role: Role | str) -> Side:
    """The side a role acts from; ValueError for a role that is not one of the four."""
    match Role(role):
        case Role.CUSTOMER | Role.REPRESENTATIVE:
            return Side.CUSTOMER
        case _:
            return Side.AGENT
