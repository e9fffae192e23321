"""The gateway's routing table: every request of API.md reaches the service that serves it."""

from __future__ import annotations

import pytest

from ticketing.gateway_routes import Routed, Unrouted, Upstream, WrongMethod, route

T, Q, A, N = Upstream.TICKETS, Upstream.QUERY, Upstream.ATTACHMENTS, Upstream.NOTIFICATIONS
TICKET = "0123456789abcdef0123456789abcdef"

API = [
    ("POST", "/v1/tickets", T),
    ("POST", f"/v1/tickets/{TICKET}/messages", T),
    ("POST", f"/v1/tickets/{TICKET}/read", T),
    ("POST", f"/v1/tickets/{TICKET}/close", T),
    ("POST", f"/v1/tickets/{TICKET}/reopen", T),
    ("PATCH", f"/v1/tickets/{TICKET}", T),
    ("GET", "/v1/departments", T),
    ("GET", "/v1/events", T),
    ("GET", "/v1/tickets", Q),
    ("GET", f"/v1/tickets/{TICKET}", Q),
    ("HEAD", f"/v1/tickets/{TICKET}", Q),
    ("GET", "/v1/tickets/by-tracking-code/87831491", Q),
    ("GET", "/v1/tickets/by-tracking-code/%DB%B8%DB%B7%DB%B8", Q),  # Persian digits, encoded
    ("GET", "/v1/counters", Q),
    ("POST", "/v1/attachments", A),
    ("GET", f"/v1/attachments/{TICKET}", A),
    ("GET", "/v1/notifications", N),
    ("POST", f"/v1/notifications/{TICKET}/read", N),
    ("POST", "/v1/notifications/read-all", N),
    ("GET", "/v1/notifications/preferences", N),
    ("PUT", "/v1/notifications/preferences", N),
    ("GET", "/v1/notifications/dead-letters", N),
    ("GET", "/v1/notifications/unconfirmed", N),
]


@pytest.mark.parametrize(("method", "path", "upstream"), API)
def test_each_request_of_the_api_goes_to_the_service_that_serves_it(
    method: str, path: str, upstream: Upstream
) -> None:
    assert route(method, path) == Routed(upstream, streaming=False)


def test_the_notification_stream_is_the_one_streaming_route() -> None:
    assert route("GET", "/v1/notifications/stream") == Routed(N, streaming=True)


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/v1/tickets", {"GET", "HEAD", "POST"}),
        ("PUT", f"/v1/tickets/{TICKET}", {"GET", "HEAD", "PATCH"}),
        ("GET", f"/v1/tickets/{TICKET}/messages", {"POST"}),
        ("POST", "/v1/counters", {"GET", "HEAD"}),
        ("POST", "/v1/events", {"GET", "HEAD"}),
    ],
)
def test_a_known_path_with_another_method_is_refused_with_what_it_allows(
    method: str, path: str, allowed: set[str]
) -> None:
    assert route(method, path) == WrongMethod(frozenset(allowed))


@pytest.mark.parametrize(
    "path",
    [
        "/internal/v1/attachments/check",
        "/internal/v1/attachments/describe",
        "/v1/attachments/../../internal/v1/attachments/check",
        "/v1/notifications/../../internal/v1/attachments/check",
        "/v1/notifications/%2e%2e/%2e%2e/internal/v1/attachments/check",
        "/v1/attachments/a%2Fb",
        "/v1/notifications//read-all",
        f"/v1/tickets/{TICKET}/",
        "/v1/ticketsx",
        "/v2/tickets",
        "/healthz/../v1/tickets",
        "v1/tickets",
        "/",
    ],
)
def test_internal_and_crafted_paths_route_nowhere(path: str) -> None:
    assert route("GET", path) == Unrouted()
    assert route("POST", path) == Unrouted()


PANEL = [
    ("GET", "/panel/"),
    ("GET", "/panel/tickets"),
    ("GET", f"/panel/tickets/{TICKET}"),
    ("POST", f"/panel/tickets/{TICKET}/reply"),
    ("GET", "/panel/sso"),
    ("POST", "/panel/logout"),
    ("GET", "/panel/static/0123abcd/panel.css"),
]


@pytest.mark.parametrize(("method", "path"), PANEL)
def test_the_panels_pages_and_forms_go_to_the_panel_process(method: str, path: str) -> None:
    assert route(method, path) == Routed(Upstream.PANEL, streaming=False)


def test_the_panels_live_bell_streams_through_the_gateway() -> None:
    assert route("GET", "/panel/notifications/stream") == Routed(Upstream.PANEL, streaming=True)


@pytest.mark.parametrize(
    "path", ["/panel/../v1/events", "/panel/%2e%2e/v1/events", "/panel//tickets", "/panel/a%2fb"]
)
def test_a_panel_path_that_steps_out_or_hides_a_separator_goes_nowhere(path: str) -> None:
    assert route("GET", path) == Unrouted()
