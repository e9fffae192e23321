"""Malformed input: broken JSON, hostile UTF-8, sizes over the limit, forged cursors and junk
headers. Each is a clear 4xx problem (or, where the input is harmless, an ordinary answer),
never a 5xx, and never anything of another party."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from .probe import judge, probe, stream_snapshot
from .world import World

pytestmark = pytest.mark.asyncio(loop_scope="module")
CATEGORY = "malformed input"
MIB = 1024 * 1024
JSON = {"Content-Type": "application/json"}

_REST = '"department":"technical","priority":"low","body":"متن"'
_GOOD = '"title":"عنوان",' + _REST


def _titled(title: str) -> bytes:
    """A valid opening whose `title` is the JSON text `title`, as sent."""
    return ("{" + '"title":' + title + "," + _REST + "}").encode()


def _titled_raw(title: bytes) -> bytes:
    return b'{"title":"' + title + b'",' + _REST.encode() + b"}"


BODIES: list[tuple[str, bytes, dict[str, str], set[int]]] = [
    ("truncated", b'{"title": "x", ', JSON, {400}),
    ("only an open brace", b"{", JSON, {400}),
    ("empty", b"", JSON, {400, 422}),
    ("nested arrays 10k deep", b"[" * 10_000 + b"]" * 10_000, JSON, {400, 422}),
    ("nested objects 10k deep", b'{"a":' * 10_000 + b"1" + b"}" * 10_000, JSON, {400, 422}),
    ("a title nested 10k deep", _titled("[" * 10_000 + "]" * 10_000), JSON, {400, 422}),
    ("a number of 5000 digits", _titled("9" * 5000), JSON, {400, 422}),
    ("1e999999", _titled('1e999999'), JSON, {400, 422}),
    ("NaN", _titled('NaN'), JSON, {400, 422}),
    ("-Infinity", _titled('-Infinity'), JSON, {400, 422}),
    ("title a number", _titled('5'), JSON, {422}),
    ("title a list", _titled('["a"]'), JSON, {422}),
    ("title null", _titled('null'), JSON, {422}),
    ("attachment_ids a string", ("{" + _GOOD + ',"attachment_ids":"abc"}').encode(), JSON, {422}),
    ("attachment_ids of numbers", ("{" + _GOOD + ',"attachment_ids":[1,2]}').encode(), JSON, {422}),
    ("attachment_ids 10k long",
     ("{" + _GOOD + ',"attachment_ids":' + json.dumps(["a" * 32] * 10_000) + "}").encode(),
     JSON, {413, 422}),
    ("an unknown field", ("{" + _GOOD + ',"brand":"globex"}').encode(), JSON, {422}),
    ("customer_id of another customer",
     ("{" + _GOOD + ',"customer_id":"cust-sara"}').encode(), JSON, {403, 422}),
    ("a top-level array", b"[]", JSON, {422}),
    ("a top-level string", b'"x"', JSON, {422}),
    ("a top-level number", b"42", JSON, {422}),
    ("invalid UTF-8", _titled_raw(b"\xff\xfe"), JSON, {400}),
    ("overlong UTF-8 for /", _titled_raw(b"\xc0\xaf"), JSON, {400}),
    ("UTF-8 of a surrogate", _titled_raw(b"\xed\xa0\x80"), JSON, {400}),
    ("an escaped lone surrogate", _titled('"\\ud800"'), JSON, {422}),
    ("an escaped low surrogate in the body",
     ('{"title":"عنوان","department":"technical","priority":"low","body":"\\udfff"}').encode(),
     JSON, {422}),
    ("an escaped NUL", _titled('"a\\u0000b"'), JSON, {201, 422}),
    ("UTF-16 with a BOM", ("{" + _GOOD + "}").encode("utf-16"), JSON, {201, 400, 422}),
    ("latin-1 declared", ("{" + _GOOD + "}").encode("utf-8"),
     {"Content-Type": "application/json; charset=latin-1"}, {201, 400, 415, 422}),
    ("text/plain", ("{" + _GOOD + "}").encode(), {"Content-Type": "text/plain"}, {400, 415, 422}),
    ("no content type", ("{" + _GOOD + "}").encode(), {}, {400, 415, 422}),
    ("just over 1 MiB", ("{" + _GOOD[:-1] + "x" * MIB + '"}').encode(), JSON, {413}),
    ("1 MiB of whitespace", b" " * (MIB + 1) + ("{" + _GOOD + "}").encode(), JSON, {413}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "headers", "expect"), [c[1:] for c in BODIES], ids=[c[0] for c in BODIES]
)
async def test_a_malformed_body_is_a_clear_4xx(
    world: World, body: bytes, headers: dict[str, str], expect: set[int]
) -> None:
    response = await probe(
        world, CATEGORY, "POST", "/v1/tickets", caller="ali", expect=expect,
        headers=headers, content=body,
    )  # fmt: skip
    if b"\\ud" in body:  # a lone surrogate is named by its field
        assert response.json()["errors"][0]["field"] in ("title", "body"), response.text


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/tickets/{A}/messages", b'{"body": "\\ud800"}'),
        ("/v1/tickets/{A}/messages", b'{"body": ' + b"[" * 5000 + b"]" * 5000 + b"}"),
        ("/v1/tickets/{A}/close", b'{"reason": "\\udc00"}'),
        ("/v1/tickets/{A}/close", b'{"reason": 1e999}'),
        ("/v1/tickets/{A}", b'{"priority": "\\ud83d"}'),
        ("/v1/tickets/{A}", b'{"assignee_id": ["x"]}'),
        ("/v1/notifications/preferences", b'{"email": true, "email_address": "\\ud800@x.ir"}'),
        ("/v1/notifications/preferences", b'{"sms": true, "phone": "09\\u0000121234567"}'),
        ("/v1/notifications/preferences", b'{"sms": "yes"}'),
    ],
)
async def test_every_command_body_refuses_hostile_text_with_a_4xx(
    world: World, path: str, body: bytes
) -> None:
    path = path.format(A=world.parties["A"].ticket_id)
    method = "PATCH" if path.endswith(world.parties["A"].ticket_id) else "POST"
    if "preferences" in path:
        method = "PUT"
    caller = "agent_tech" if method == "PATCH" else "ali"
    await probe(
        world, CATEGORY, method, path, caller=caller, expect={400, 422}, headers=JSON,
        content=body,
    )  # fmt: skip


def _cursor(payload: Any, version: int = 1) -> str:
    raw = bytes([version]) + json.dumps(payload).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _cursors(world: World) -> list[tuple[str, str, set[int]]]:
    foreign_id = world.parties["G"].ticket_id
    return [
        ("garbage", "garbage!!", {422}),
        ("empty", "", {200, 422}),
        ("a NUL", "\x00", {422}),
        ("10k characters", "A" * 10_000, {422}),
        ("base64 of garbage", base64.urlsafe_b64encode(b"\x01hello").decode(), {422}),
        ("base64 of nothing", "AA", {422}),
        ("another version", _cursor(["2026-01-01T00:00:00+00:00", foreign_id], 2), {422}),
        ("not a list", _cursor({"at": 1}), {422}),
        ("three items", _cursor(["2026-01-01T00:00:00+00:00", foreign_id, 1]), {422}),
        ("numbers", _cursor([1, 2]), {422}),
        ("a naive date", _cursor(["2026-01-01T00:00:00", foreign_id]), {422}),
        ("year 9999 at -14:00", _cursor(["9999-12-31T23:59:59-14:00", foreign_id]), {422}),
        ("year 1 at +14:00", _cursor(["0001-01-01T00:00:00+14:00", foreign_id]), {422}),
        ("year 1 in UTC", _cursor(["0001-01-01T00:00:00+00:00", foreign_id]), {200, 422}),
        ("year 9999 in UTC", _cursor(["9999-12-31T23:59:59.999999+00:00", foreign_id]), {200, 422}),
        ("not a date", _cursor(["yesterday", foreign_id]), {422}),
        ("an id with SQL", _cursor(["2026-01-01T00:00:00+00:00", "' OR 1=1 --"]), {422}),
        ("an id of a Mongo operator", _cursor(["2026-01-01T00:00:00+00:00", {"$gt": ""}]), {422}),
        ("another brand's ticket id", _cursor(["2099-01-01T00:00:00+00:00", foreign_id]), {200}),
        ("deep JSON", base64.urlsafe_b64encode(b"\x01" + b"[" * 3000).decode(), {422}),
    ]


async def test_a_forged_cursor_is_422_naming_the_cursor_or_a_harmless_page(world: World) -> None:
    for name, cursor, expect in _cursors(world):
        for caller in ("ali", "agent_tech"):
            response = await probe(
                world, CATEGORY, "GET", "/v1/tickets", caller=caller, expect=expect,
                params={"cursor": cursor},
            )  # fmt: skip
            if response.status_code == 422:
                assert [e["field"] for e in response.json()["errors"]] == ["cursor"], name


QUERY_PARAMS: list[tuple[dict[str, str], set[int]]] = [
    ({"limit": "-1"}, {422}),
    ({"limit": "0"}, {422}),
    ({"limit": "101"}, {422}),
    ({"limit": "1e3"}, {422}),
    ({"limit": "99999999999999999999999"}, {422}),
    ({"limit": "٣"}, {200, 422}),
    ({"status": "9"}, {422}),
    ({"status": "0"}, {422}),
    ({"status": "-1"}, {422}),
    ({"status": "1,2,3"}, {200, 422}),
    ({"status": "x"}, {422}),
    ({"unread": "maybe"}, {422}),
    ({"q": "ک" * 10_000}, {200, 414, 422}),
    ({"q": "a\x00b"}, {200, 422}),
    ({"q": "*"}, {200}),
    ({"q": '"'}, {200}),
    ({"q": "NEAR(a b)"}, {200}),
    ({"q": "title:zqSaraTitle"}, {200}),
    ({"q": "zqSara*"}, {200}),
    ({"q": "-zqAliTitle OR zqSaraTitle"}, {200}),
    ({"q": "{$where: 1}"}, {200}),
    ({"q": "\\"}, {200}),
    ({"department": "' OR 1=1 --"}, {200, 422}),
    ({"department": "finance\n"}, {200, 422}),
]


@pytest.mark.parametrize(
    ("params", "expect"), QUERY_PARAMS, ids=[repr(p)[:40] for p, _ in QUERY_PARAMS]
)
async def test_junk_query_parameters_are_422_or_harmless(
    world: World, params: dict[str, str], expect: set[int]
) -> None:
    await probe(world, CATEGORY, "GET", "/v1/tickets", caller="ali", expect=expect, params=params)


async def test_query_strings_that_are_not_utf8_are_harmless(world: World) -> None:
    for raw in ("q=%ff%fe", "q=%ed%a0%80", "cursor=%ff", "status=%00", "limit=%c0%af"):
        response = await world.client.get(f"/v1/tickets?{raw}", headers=world.who("ali"))
        judge(
            CATEGORY, response, expect={200, 422}, forbidden=world.forbidden("ali")
        ).assert_clean()


MIN_POSITION_JUNK = ["-1", "abc", "1e3", "0x10", "+5", "٣", "99999999999999999999999", "", "1.0"]


@pytest.mark.parametrize("value", MIN_POSITION_JUNK)
async def test_x_min_position_junk_is_400_on_every_kind_of_get(world: World, value: str) -> None:
    a = world.parties["A"]
    for path in (
        "/v1/tickets",
        f"/v1/tickets/{a.ticket_id}",
        "/v1/counters",
        f"/v1/attachments/{a.upload_id}",
        "/v1/notifications",
        "/v1/departments",
        "/v1/events",
    ):
        caller = "admin" if path == "/v1/events" else "ali"
        expect = {200, 400} if value == "" else {400}
        request = world.client.build_request(
            "GET", path, headers=[*world.who(caller).items(), ("X-Min-Position", value.encode())]
        )
        response = await world.client.send(request)
        judge(CATEGORY, response, expect=expect, forbidden=world.forbidden(caller)).assert_clean()


async def test_a_position_never_reached_is_503_with_retry_after(world: World) -> None:
    response = await probe(
        world, CATEGORY, "GET", "/v1/tickets", caller="ali", expect={503},
        headers={"X-Min-Position": str(2**63 - 1)},
    )  # fmt: skip
    assert response.headers["retry-after"] == "1"


IF_MATCH_JUNK = ["junk", '"abc"', 'W/"1"', "-1", "99999999999999999999999", "1, 2", "1.5", "٣"]


@pytest.mark.parametrize("value", IF_MATCH_JUNK)
async def test_if_match_junk_is_400_or_412_and_writes_nothing(world: World, value: str) -> None:
    a = world.parties["A"]
    before = await probe(
        world, CATEGORY, "GET", f"/v1/tickets/{a.ticket_id}", caller="ali", expect={200},
        headers={"X-Min-Position": str(world.position)},
    )  # fmt: skip
    for path, body in (
        (f"/v1/tickets/{a.ticket_id}/read", None),
        (f"/v1/tickets/{a.ticket_id}/messages", {"body": "پیام"}),
        (f"/v1/tickets/{a.ticket_id}/close", {"reason": "حل شد"}),
    ):
        request = world.client.build_request(
            "POST", path, json=body,
            headers=[*world.who("ali").items(), ("If-Match", value.encode())],
        )  # fmt: skip
        response = await world.client.send(request)
        judge(
            CATEGORY, response, expect={400, 412}, forbidden=world.forbidden("ali")
        ).assert_clean()
    after = await probe(
        world, CATEGORY, "GET", f"/v1/tickets/{a.ticket_id}", caller="ali", expect={200}
    )
    assert after.json()["version"] == before.json()["version"]


# Keys are 1-255 printable ASCII characters; anything else is refused before any write.
IDEMPOTENCY_JUNK = {
    "k" * 10_000: {400},
    "k" * 256: {400},
    "a\x01b": {400},
    "a\tb": {400},
    "ک": {400},
    "\x7f": {400},
    "": {201, 400},
    " ": {201, 400},
    "../../x": {201},
    "a|b": {201},
}


@pytest.mark.parametrize(
    ("value", "expect"), IDEMPOTENCY_JUNK.items(), ids=[repr(v)[:20] for v in IDEMPOTENCY_JUNK]
)
async def test_an_idempotency_key_of_junk_is_refused_or_harmless(
    world: World, value: str, expect: set[int]
) -> None:
    a = world.parties["A"]
    encoded = value.encode("utf-8")
    request = world.client.build_request(
        "POST",
        f"/v1/tickets/{a.ticket_id}/messages",
        json={"body": "پیام با کلید"},
        headers=[*world.who("ali").items(), ("Idempotency-Key", encoded)],  # type: ignore[list-item]
    )
    response = await world.client.send(request)
    judge(CATEGORY, response, expect=expect, forbidden=world.forbidden("ali")).assert_clean()
    if response.status_code == 201:
        world.position = max(world.position, response.json()["position"])


@pytest.mark.parametrize("value", ["junk", "x" * 10_000, "-1", "' OR 1=1", "..", "\x01", "٣"])
async def test_last_event_id_junk_starts_the_stream_from_now(world: World, value: str) -> None:
    streamed = await stream_snapshot(
        world, "/v1/notifications/stream", headers={**world.who("ali"), "Last-Event-ID": value}
    )
    judge(CATEGORY, streamed, expect={200}, forbidden=world.forbidden("ali")).assert_clean()
    assert "data:" not in streamed.text


@pytest.mark.parametrize(
    "headers",
    [
        {"Accept-Language": "x" * 10_000},
        {"Accept-Language": "fa-IR;q=NaN, *;q=-1, ;;;"},
        {"Accept": "application/xml"},
        {"Accept": "*/*;q=nonsense"},
        {"Accept-Encoding": "gzip;q=2, br;q=x"},
        {"X-Correlation-ID": "a\x01b" + "c" * 5000},
        {"X-Request-ID": "../../etc/passwd"},
        {"X-Forwarded-For": "127.0.0.1, evil"},
        {"X-Forwarded-Host": "evil.test"},
        {"Forwarded": "host=evil.test;proto=https"},
        {"Content-Type": "application/json; charset=utf-7"},
    ],
    ids=lambda h: next(iter(h)),
)
async def test_junk_headers_change_nothing(world: World, headers: dict[str, str]) -> None:
    response = await probe(
        world, CATEGORY, "GET", "/v1/tickets", caller="ali", expect={200}, headers=headers
    )
    assert "evil" not in " ".join(response.headers.values())


@pytest.mark.parametrize(
    "path",
    ["/v1/tickets/", "/v1/counters/", "/v1/notifications/", "/v1/tickets/{A}/", "//v1/tickets"],
)
@pytest.mark.parametrize("host", ["evil.test", "evil.test:443", "ticketing.test@evil.test"])
async def test_no_api_path_redirects_to_the_host_the_client_named(
    world: World, path: str, host: str
) -> None:
    path = path.format(A=world.parties["A"].ticket_id)
    response = await world.client.get(
        path, headers={**world.who("ali"), "Host": host}, follow_redirects=False
    )
    judge(
        CATEGORY, response, expect={200, 307, 404}, forbidden=world.forbidden("ali")
    ).assert_clean()
    location = response.headers.get("location", "")
    assert "evil" not in location, location
    assert not location.startswith(("http:", "https:", "//")), location
