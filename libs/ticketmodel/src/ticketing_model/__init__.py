"""What a ticket means, written once for every service (issue 11): roles and sides, the eight
status codes, a ticket's facts and their one fold (`evolve`), and who sees a ticket (`Scope`).

Pure: the standard library and ticketing_contracts only, so any domain layer may import it.
"""

from .facts import (
    FactEvent,
    TicketFacts,
    agent_viewed,
    changed,
    customer_read,
    evolve,
    message_posted,
    opened,
)
from .roles import Role, Side, side_of
from .scope import Scope, TicketPlace
from .status import CODES, LABELS, AgentState, halves_of, status_code

__all__ = [
    "CODES",
    "LABELS",
    "AgentState",
    "FactEvent",
    "Role",
    "Scope",
    "Side",
    "TicketFacts",
    "TicketPlace",
    "agent_viewed",
    "changed",
    "customer_read",
    "evolve",
    "halves_of",
    "message_posted",
    "opened",
    "side_of",
    "status_code",
]
