"""Attachments' download rule is the shared Scope: over generated identities and referencing
tickets, someone other than the uploader may read exactly when their Scope admits a ticket that
references the file (from the customer side, through a visible message only)."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from ticketing_attachments.domain import Attachment, Caller, TicketAccess, may_read
from ticketing_model import Scope, Side

from tests.unit.model.histories import CUSTOMERS, DEPARTMENTS, Claims, identities

RECEIPT = Attachment(
    brand_id="acme",
    attachment_id="b" * 32,
    uploader_id="uploader-9",
    uploader_role="customer",
    filename="فیش واریزی.pdf",
    content_type="application/pdf",
    size=1024,
    sha256="0" * 64,
    created_at=datetime(2026, 3, 21, 8, 30, tzinfo=UTC),
)
references = st.lists(
    st.builds(
        TicketAccess,
        ticket_id=st.sampled_from(["0f" * 16, "a1" * 16]),
        customer_id=st.sampled_from(CUSTOMERS),
        department=st.sampled_from(DEPARTMENTS),
        visible=st.booleans(),
    ),
    max_size=3,
)


@settings(max_examples=300, deadline=None)
@given(claims=identities(), tickets=references)
def test_a_caller_may_read_exactly_through_a_ticket_its_scope_admits(
    claims: Claims, tickets: list[TicketAccess]
) -> None:
    caller = Caller(claims.sub, claims.role, claims.departments, claims.customers)
    scope = Scope.for_identity(
        role=claims.role,
        sub=claims.sub,
        brand=claims.brand,
        departments=claims.departments,
        customers=claims.customers,
    )
    in_brand = claims.brand == RECEIPT.brand_id  # callers look attachments up in their brand
    expected = in_brand and any(
        scope.admits(_At(RECEIPT.brand_id, t.customer_id, t.department))
        and (t.visible or scope.side is Side.AGENT)
        for t in tickets
    )

    assert (in_brand and may_read(caller, RECEIPT, tickets)) is expected


class _At:
    def __init__(self, brand_id: str, customer_id: str, department: str) -> None:
        self.brand_id, self.customer_id, self.department = brand_id, customer_id, department
