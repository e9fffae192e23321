"""The OpenAPI document tells the truth that clients and schemathesis rely on: a bearer (JWT)
security scheme on every /v1 operation, every problem status with the problem+json schema, and
links from an opened ticket to the calls on it. The gateway's merged document keeps them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ticketing_attachments.settings import AttachmentsSettings
from ticketing_notifications.settings import NotificationsSettings
from ticketing_query.settings import QuerySettings
from ticketing_tickets.settings import TicketsSettings

from ticketing.embedded import create_embedded_app
from ticketing.gateway_openapi import merge_openapi
from ticketing.gateway_routes import Upstream

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp: Path = tmp_path_factory.mktemp("openapi")
    app = create_embedded_app(
        TicketsSettings(data_dir=tmp, event_store_url="memory://"),
        QuerySettings(data_dir=tmp, read_model_url="memory://"),
        AttachmentsSettings(
            data_dir=tmp, attachments_catalog_url="memory://", attachments_blob_dir="memory://"
        ),
        NotificationsSettings(data_dir=tmp, notifications_store_url="memory://"),
    )
    return app.openapi()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        if path.startswith("/v1/")
        for method, operation in item.items()
    ]


def test_every_api_operation_asks_for_a_bearer_jwt(document: dict[str, Any]) -> None:
    scheme = document["components"]["securitySchemes"]["bearer"]
    assert scheme == {**scheme, "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    operations = _operations(document)
    assert len(operations) >= 20
    for method, path, operation in operations:
        assert operation["security"] == [{"bearer": []}], (method, path)


def test_every_api_operation_documents_its_problems_as_problem_json(
    document: dict[str, Any],
) -> None:
    for method, path, operation in _operations(document):
        responses = operation["responses"]
        expected = {"400", "401", "422", "503"}
        if "{" in path:
            expected.add("404")
        if method in ("post", "put", "patch"):
            expected |= {"403", "409", "413"}
        assert expected <= set(responses), (method, path, sorted(responses))
        for status, response in responses.items():
            if int(status) >= 400:
                content = response["content"]
                assert list(content) == [PROBLEM], (method, path, status)
                assert content[PROBLEM]["schema"] == {"$ref": "#/components/schemas/Problem"}
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_a_command_with_if_match_documents_412(document: dict[str, Any]) -> None:
    for method, path, operation in _operations(document):
        headers = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
        if "If-Match" in headers:
            assert "412" in operation["responses"], (method, path)


def test_opening_a_ticket_links_to_every_call_on_it(document: dict[str, Any]) -> None:
    links = document["paths"]["/v1/tickets"]["post"]["responses"]["201"]["links"]
    by_id = {
        operation["operationId"]: (method, path)
        for method, path, operation in _operations(document)
    }
    targets = {by_id[link["operationId"]] for link in links.values()}
    assert targets == {
        ("get", "/v1/tickets/{ticket_id}"),
        ("get", "/v1/tickets/by-tracking-code/{code}"),
        ("post", "/v1/tickets/{ticket_id}/messages"),
        ("post", "/v1/tickets/{ticket_id}/read"),
        ("post", "/v1/tickets/{ticket_id}/close"),
        ("post", "/v1/tickets/{ticket_id}/reopen"),
        ("patch", "/v1/tickets/{ticket_id}"),
    }
    for link in links.values():
        (expression,) = link["parameters"].values()
        assert expression in ("$response.body#/ticket_id", "$response.body#/tracking_code")


def test_the_gateways_merged_document_keeps_the_scheme_and_the_problem_schema(
    document: dict[str, Any],
) -> None:
    merged = merge_openapi({Upstream.TICKETS: document, Upstream.QUERY: document})
    assert merged["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert "Problem" in merged["components"]["schemas"]
