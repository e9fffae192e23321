"""What `ticketing run` and `ticketing rebuild` print: where to open the panel, and which
stores a rebuild reads and writes (never with a password in it)."""

from __future__ import annotations

import socket

import pytest

from ticketing.rebuild_command import found_line, shown_url
from ticketing.serve_embedded import announcement, browser_url


def test_the_announcement_gives_the_panel_and_in_dev_mode_its_sign_in_page() -> None:
    text = announcement("http://127.0.0.1:8000", dev_mode=True)
    assert text.splitlines() == [
        "ticketing is listening on http://127.0.0.1:8000",
        "  panel:   http://127.0.0.1:8000/panel/",
        "  sign in: http://127.0.0.1:8000/panel/login  (dev mode)",
    ]
    assert "sign in" not in announcement("http://127.0.0.1:8000", dev_mode=False)


@pytest.mark.parametrize(
    ("host", "shown"),
    [("127.0.0.1", "http://127.0.0.1:"), ("0.0.0.0", "http://127.0.0.1:")],
)
def test_the_url_printed_is_one_a_browser_here_can_open(host: str, shown: str) -> None:
    with socket.create_server((host, 0)) as sock:
        port = sock.getsockname()[1]
        assert browser_url(sock) == f"{shown}{port}"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("sqlite:///var/events.db", "sqlite:///var/events.db"),
        ("mongodb://reader:s3cret-گذرواژه@db.acme.test:27017/q", "mongodb://reader:***@db.acme.test:27017/q"),
        ("kurrentdb://admin:changeit@127.0.0.1:2113?tls=false", "kurrentdb://admin:***@127.0.0.1:2113?tls=false"),
        ("mongodb://db.acme.test/q", "mongodb://db.acme.test/q"),
    ],
    ids=["file", "mongodb-password", "kurrentdb-password", "no-credentials"],
)  # fmt: skip
def test_a_store_url_is_printed_without_its_password(url: str, shown: str) -> None:
    assert shown_url(url) == shown


def test_the_count_of_events_is_given_where_positions_are_dense() -> None:
    assert found_line("sqlite:///var/events.db", 12_345) == "12,345 events"
    assert found_line("kurrentdb://127.0.0.1:2113", 90_210) == "events up to position 90,210"
