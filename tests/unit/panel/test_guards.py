"""The panel's checks on browser input: where a sign-in may return, and same-origin POSTs."""

from __future__ import annotations

import pytest
from starlette.requests import Request
from ticketing_panel.guards import csrf_matches, masked_csrf, safe_return_to, same_origin


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("/panel/", "/panel/"),
        ("/panel/tickets", "/panel/tickets"),
        ("/panel/tickets?status=1&unread=true", "/panel/tickets?status=1&unread=true"),
        ("/panel/tickets/0123456789abcdef0123456789abcdef", None),
        ("/panel/tickets?q=سلام", "/panel/tickets?q=%D8%B3%D9%84%D8%A7%D9%85"),
        (None, "/panel/"),
        ("/panel", "/panel/"),
        ("//evil.example", "/panel/"),
        ("///evil.example", "/panel/"),
        ("/\\evil.example", "/panel/"),
        ("https://evil.example/panel/", "/panel/"),
        ("HTTPS://evil.example/panel/", "/panel/"),
        ("data:text/html,<script>", "/panel/"),
        ("/panel/./tickets", "/panel/"),
        ("/panel/%2E%2E/%2E%2E/v1", "/panel/"),
        ("/panel/%25%32%65%25%32%65/v1", "/panel/"),
        ("/panel/%2f%2fevil", "/panel/"),
        ("/panel/%5cevil", "/panel/"),
        ("/panel/tickets#x", "/panel/"),
        ("/panel/\ttickets", "/panel/"),
        ("/panel/tickets\u0000", "/panel/"),
        ("/panel/" + "a" * 3000, "/panel/"),
    ],
)
def test_return_to_keeps_only_plain_paths_under_the_panel(
    given: str | None, kept: str | None
) -> None:
    assert safe_return_to(given) == (given if kept is None else kept)


def _request(**headers: str) -> Request:
    raw = [(k.lower().replace("_", "-").encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "method": "POST", "path": "/panel/logout", "headers": raw})


@pytest.mark.parametrize(
    ("headers", "ours"),
    [
        ({"host": "panel.example"}, True),  # no Origin: an older browser or a same-site form
        ({"host": "panel.example", "origin": "https://panel.example"}, True),
        ({"host": "panel.example", "origin": "https://PANEL.example"}, True),
        (
            {
                "host": "127.0.0.1:8006",
                "x_forwarded_host": "panel.example",
                "origin": "https://panel.example",
            },
            True,
        ),
        ({"host": "panel.example", "origin": "https://evil.example"}, False),
        ({"host": "panel.example", "origin": "https://panel.example.evil.example"}, False),
        ({"host": "panel.example", "origin": "null"}, False),
        ({"host": "panel.example", "origin": "file://"}, False),
        ({"host": "panel.example", "sec_fetch_site": "cross-site"}, False),
        ({"host": "panel.example", "sec_fetch_site": "same-origin"}, True),
    ],
)
def test_a_post_is_ours_only_from_our_own_origin(headers: dict[str, str], ours: bool) -> None:
    assert same_origin(_request(**headers)) is ours


def test_a_masked_csrf_token_differs_every_time_and_still_matches() -> None:
    secret = "r4nd0m-session-csrf-token-of-43-characters-"
    first, second = masked_csrf(secret), masked_csrf(secret)
    assert first != second
    assert secret not in first
    assert csrf_matches(secret, first)
    assert csrf_matches(secret, second)


@pytest.mark.parametrize(
    "given",
    [
        None,
        "",
        "r4nd0m-session-csrf-token-of-43-characters-",  # the bare secret is never in a page
        "not base64 at all!",
        "AAAA",
        "x" * 300,
        "۱۲۳۴",
    ],
)
def test_anything_but_a_masked_token_of_this_session_is_refused(given: object) -> None:
    assert not csrf_matches("r4nd0m-session-csrf-token-of-43-characters-", given)


def test_a_masked_token_of_another_session_is_refused() -> None:
    assert not csrf_matches("one-session-token", masked_csrf("another-session-token"))
