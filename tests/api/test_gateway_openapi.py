"""The gateway's OpenAPI document: the four services' documents merged, each operation from the
service that answers it, nothing internal, every reference resolvable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ticketing_attachments.bootstrap import build_attachments_service
from ticketing_attachments.entrypoints.http import create_app as attachments_app
from ticketing_attachments.settings import AttachmentsSettings
from ticketing_feed.memory import InMemoryFeed
from ticketing_notifications.bootstrap import build_notifications_service
from ticketing_notifications.entrypoints.http import create_app as notifications_app
from ticketing_notifications.settings import NotificationsSettings
from ticketing_query.bootstrap import build_query_service
from ticketing_query.entrypoints.http import create_app as query_app
from ticketing_query.settings import QuerySettings
from ticketing_tickets.bootstrap import build_tickets_service
from ticketing_tickets.entrypoints.http import create_app as tickets_app
from ticketing_tickets.settings import TicketsSettings

from ticketing.gateway_openapi import merge_openapi
from ticketing.gateway_routes import Upstream

API_OPERATIONS = [
    ("post", "/v1/tickets", Upstream.TICKETS),
    ("post", "/v1/tickets/{ticket_id}/messages", Upstream.TICKETS),
    ("post", "/v1/tickets/{ticket_id}/read", Upstream.TICKETS),
    ("post", "/v1/tickets/{ticket_id}/close", Upstream.TICKETS),
    ("post", "/v1/tickets/{ticket_id}/reopen", Upstream.TICKETS),
    ("patch", "/v1/tickets/{ticket_id}", Upstream.TICKETS),
    ("get", "/v1/departments", Upstream.TICKETS),
    ("get", "/v1/events", Upstream.TICKETS),
    ("get", "/v1/tickets", Upstream.QUERY),
    ("get", "/v1/tickets/{ticket_id}", Upstream.QUERY),
    ("get", "/v1/tickets/by-tracking-code/{code}", Upstream.QUERY),
    ("get", "/v1/counters", Upstream.QUERY),
    ("post", "/v1/attachments", Upstream.ATTACHMENTS),
    ("get", "/v1/attachments/{attachment_id}", Upstream.ATTACHMENTS),
    ("get", "/v1/notifications", Upstream.NOTIFICATIONS),
    ("post", "/v1/notifications/{notification_id}/read", Upstream.NOTIFICATIONS),
    ("post", "/v1/notifications/read-all", Upstream.NOTIFICATIONS),
    ("get", "/v1/notifications/stream", Upstream.NOTIFICATIONS),
    ("get", "/v1/notifications/preferences", Upstream.NOTIFICATIONS),
    ("put", "/v1/notifications/preferences", Upstream.NOTIFICATIONS),
    ("get", "/healthz", Upstream.TICKETS),
    ("get", "/readyz", Upstream.TICKETS),
    ("get", "/metrics", Upstream.TICKETS),
]


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> dict[Upstream, dict[str, Any]]:
    tmp: Path = tmp_path_factory.mktemp("openapi")
    apps = {
        Upstream.TICKETS: tickets_app(
            build_tickets_service(TicketsSettings(data_dir=tmp, event_store_url="memory://"))
        ),
        Upstream.QUERY: query_app(
            build_query_service(
                QuerySettings(data_dir=tmp, event_store_url="memory://", read_model_url="memory://")
            )
        ),
        Upstream.ATTACHMENTS: attachments_app(
            build_attachments_service(
                AttachmentsSettings(
                    data_dir=tmp,
                    attachments_catalog_url="memory://",
                    attachments_blob_dir="memory://",
                ),
                feed=InMemoryFeed(),
            )
        ),
        Upstream.NOTIFICATIONS: notifications_app(
            build_notifications_service(
                NotificationsSettings(data_dir=tmp, notifications_store_url="memory://"),
                feed=InMemoryFeed(),
            )
        ),
    }
    return {upstream: app.openapi() for upstream, app in apps.items()}


def test_every_operation_of_the_api_is_described_as_its_service_describes_it(
    documents: dict[Upstream, dict[str, Any]],
) -> None:
    merged = merge_openapi(documents)
    for method, path, upstream in API_OPERATIONS:
        assert merged["paths"][path][method] == documents[upstream]["paths"][path][method], path
    assert not [p for p in merged["paths"] if p.startswith("/internal")]


def test_every_reference_in_the_merged_document_resolves(
    documents: dict[Upstream, dict[str, Any]],
) -> None:
    merged = merge_openapi(documents)
    refs: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                refs.append(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(merged["paths"])
    walk(merged["components"])
    assert refs
    for ref in refs:
        _, _, kind, name = ref.split("/")
        assert name in merged["components"][kind], ref


def test_a_component_name_two_services_use_differently_is_kept_apart() -> None:
    def document(path: str, method: str, title: str) -> dict[str, Any]:
        schema = {"$ref": "#/components/schemas/Page"}
        return {
            "openapi": "3.1.0",
            "paths": {
                path: {method: {"responses": {"200": {"content": {"j": {"schema": schema}}}}}}
            },
            "components": {"schemas": {"Page": {"title": title}}},
        }

    merged = merge_openapi(
        {
            Upstream.QUERY: document("/v1/tickets", "get", "tickets page"),
            Upstream.NOTIFICATIONS: document("/v1/notifications", "get", "notifications page"),
        }
    )
    schemas = merged["components"]["schemas"]
    assert schemas == {
        "Page": {"title": "tickets page"},
        "notifications_Page": {"title": "notifications page"},
    }
    response = merged["paths"]["/v1/notifications"]["get"]["responses"]["200"]
    assert response["content"]["j"]["schema"] == {"$ref": "#/components/schemas/notifications_Page"}
