"""What a decision can refuse. The HTTP layer maps each to its status code."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldError:
    """One bad field of a command: `field` is the request field's name."""

    field: str
    message: str


class DomainError(Exception):
    """Base of every refusal the domain makes."""


class ValidationFailed(DomainError):
    """The command's fields break the rules (HTTP 422); lists every bad field at once."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors


class Forbidden(DomainError):
    """The caller may see the ticket but its role may not do this (HTTP 403)."""


class TicketNotFound(DomainError):
    """No such ticket, or one the caller may not see (HTTP 404: existence is not revealed)."""
