"""Signing in to the panel: the brand's SSO link, the session cookie and its end, logout, and
the dev-mode demo people (never in production)."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator

import httpx
import jwt as pyjwt
import pytest
from ticketing_panel.__main__ import create_standalone_app
from ticketing_panel.settings import PanelSettings
from ticketing_tickets.settings import DEV_JWT_SECRET

from .conftest import Site, hidden_fields, token

PRODUCTION_SECRET = "a-production-secret-of-enough-length-0123456789"


def _unsigned(claims: dict[str, object]) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def _claims(**over: object) -> dict[str, object]:
    return {"sub": "c-sara", "role": "customer", "brand": "acme", "exp": int(time.time()) + 600}


BAD_TOKENS = {
    "signed with another key": pyjwt.encode(
        _claims(), "another-secret-of-the-same-length-as-ours-0123", algorithm="HS256"
    ),
    "alg none": _unsigned(_claims()),
    "expired": token("customer", "c-sara", ttl=-5),
    "unknown role": pyjwt.encode({**_claims(), "role": "owner"}, DEV_JWT_SECRET, algorithm="HS256"),
    "not a token at all": "سلام",
    "empty": "",
}


async def test_a_good_token_signs_in_with_a_strict_cookie_and_goes_where_it_was_asked(
    site: Site,
) -> None:
    async with site.browser() as browser:
        answer = await browser.get(
            "/panel/sso",
            params={"jwt": token("customer", "c-sara"), "return_to": "/panel/tickets?unread=true"},
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == "/panel/tickets?unread=true"
        cookie = answer.headers["set-cookie"]
        flags = {f.strip().split("=")[0].lower() for f in cookie.split(";")[1:]}
        assert {"httponly", "path", "samesite", "max-age"} <= flags
        assert "Path=/panel" in cookie
        assert "SameSite=lax" in cookie
        assert "secure" not in flags  # dev mode: plain http on localhost
        max_age = int(cookie.split("Max-Age=")[1].split(";")[0])
        assert 0 < max_age <= 600  # never beyond the token's exp
        page = await browser.get("/panel/tickets")
        assert page.status_code == 200
        assert '<html lang="fa" dir="rtl">' in page.text


@pytest.mark.parametrize("kind", list(BAD_TOKENS))
async def test_a_bad_token_is_a_persian_401_page_and_no_cookie(site: Site, kind: str) -> None:
    async with site.browser() as browser:
        answer = await browser.get("/panel/sso", params={"jwt": BAD_TOKENS[kind]})
        assert answer.status_code == 401
        assert "set-cookie" not in answer.headers
        assert "وارد شوید" in answer.text
        assert answer.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    "return_to",
    [
        "//evil.example/panel/",
        "https://evil.example/panel/",
        "javascript:alert(1)",
        "/panel/../v1/events",
        "/panel/%2e%2e/v1/events",
        "/panel/%252e%252e/v1/events",
        "/panel/tickets/..%2f..%2fv1",
        "/panel\\evil",
        "/panel/\\\\evil.example",
        "\\\\evil.example",
        "/panel//evil.example",
        "/v1/tickets",
        "/panelists",
        "panel/tickets",
        "/panel/tickets\r\nSet-Cookie: x=1",
        "/panel/%0d%0aSet-Cookie:x=1",
        "",
    ],
)
async def test_a_return_to_outside_the_panel_or_with_tricks_goes_to_the_panel_home(
    site: Site, return_to: str
) -> None:
    async with site.browser() as browser:
        answer = await browser.get(
            "/panel/sso", params={"jwt": token("customer", "c-sara"), "return_to": return_to}
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == "/panel/"


async def test_a_persian_search_in_return_to_survives_encoded(site: Site) -> None:
    async with site.browser() as browser:
        answer = await browser.get(
            "/panel/sso",
            params={"jwt": token("customer", "c-sara"), "return_to": "/panel/tickets?q=پیامک"},
        )
        assert answer.headers["location"] == "/panel/tickets?q=%D9%BE%DB%8C%D8%A7%D9%85%DA%A9"


async def test_the_session_ends_at_the_tokens_exp(site: Site) -> None:
    short = token("customer", "c-sara", ttl=4)
    exp = pyjwt.decode(short, options={"verify_signature": False})["exp"]
    async with site.browser() as browser:
        answer = await browser.get("/panel/sso", params={"jwt": short})
        assert answer.status_code == 303
        assert (await browser.get("/panel/tickets")).status_code == 200
        await asyncio.sleep(max(0.0, exp - time.time()) + 0.1)
        ended = await browser.get("/panel/tickets")
        assert ended.status_code == 401
        assert "وارد شوید" in ended.text


async def test_without_a_session_a_page_is_a_persian_401_that_links_the_dev_login(
    site: Site,
) -> None:
    async with site.browser() as browser:
        for path in ("/panel/tickets", "/panel/tickets/new", "/panel/notifications"):
            answer = await browser.get(path)
            assert answer.status_code == 401
            assert 'href="/panel/login"' in answer.text


async def test_logout_ends_the_session_on_the_server_too(site: Site) -> None:
    person = await site.sign_in("customer", "c-sara")
    cookie = person.client.cookies.get("ticketing_panel")
    assert cookie
    answer = await person.submit("/panel/tickets", "/panel/logout")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/panel/signed-out"
    assert (await person.get("/panel/signed-out")).status_code == 200
    async with site.browser() as replay:  # the old cookie, kept by someone, is worth nothing
        replay.cookies.set("ticketing_panel", cookie, domain="ticketing.test", path="/panel")
        assert (await replay.get("/panel/tickets")).status_code == 401


async def test_logout_without_the_csrf_token_is_refused_and_the_session_lives(site: Site) -> None:
    person = await site.sign_in("customer", "c-sara")
    answer = await person.client.post("/panel/logout", data={})
    assert answer.status_code == 403
    assert (await person.get("/panel/tickets")).status_code == 200


async def test_the_dev_login_lists_people_of_two_brands_and_signs_in_with_one_click(
    site: Site,
) -> None:
    async with site.browser() as browser:
        listed = await browser.get("/panel/login")
        assert listed.status_code == 200
        for words in ("ایرانیکا", "پناه", "مشتری", "نماینده", "کارشناس", "مدیر"):
            assert words in listed.text
        signed = await browser.get("/panel/login/acme-rep")
        assert signed.status_code == 303
        assert signed.headers["location"] == "/panel/tickets"
        form = await browser.get("/panel/tickets/new")
        assert 'name="customer_id"' in form.text
        assert "c-sara" in form.text


@pytest.fixture
async def production() -> AsyncIterator[httpx.AsyncClient]:
    """The panel process in production mode; its API is unreachable (nothing listens there)."""
    settings = PanelSettings(
        mode="production",
        jwt_secret=PRODUCTION_SECRET,  # type: ignore[arg-type]
        panel_api_url="http://127.0.0.1:9",
        panel_api_timeout_seconds=2,
    )
    app = create_standalone_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="https://panel.example"
        ) as client,
    ):
        yield client


async def test_production_has_no_demo_login(production: httpx.AsyncClient) -> None:
    for path in ("/panel/login", "/panel/login/acme-sara"):
        answer = await production.get(path)
        assert answer.status_code == 404
        assert "پیدا نشد" in answer.text
        assert "set-cookie" not in answer.headers


async def test_production_cookies_are_secure_and_the_dev_secret_is_refused(
    production: httpx.AsyncClient,
) -> None:
    refused = await production.get("/panel/sso", params={"jwt": token("customer", "c-sara")})
    assert refused.status_code == 401
    good = pyjwt.encode(
        {"sub": "c-sara", "role": "customer", "brand": "acme", "exp": int(time.time()) + 60},
        PRODUCTION_SECRET,
        algorithm="HS256",
    )
    answer = await production.get("/panel/sso", params={"jwt": good})
    assert answer.status_code == 303
    assert "; Secure" in answer.headers["set-cookie"] or "; secure" in answer.headers["set-cookie"]


async def test_an_unreachable_api_is_a_persian_503_page_not_a_traceback(
    production: httpx.AsyncClient,
) -> None:
    good = pyjwt.encode(
        {"sub": "c-sara", "role": "customer", "brand": "acme", "exp": int(time.time()) + 60},
        PRODUCTION_SECRET,
        algorithm="HS256",
    )
    signed = await production.get("/panel/sso", params={"jwt": good})
    assert signed.status_code == 303
    page = await production.get("/panel/tickets")
    assert page.status_code == 503
    assert "دوباره تلاش کنید" in page.text
    assert "Traceback" not in page.text
    assert "httpx" not in page.text


def test_hidden_fields_reads_the_form_of_an_action() -> None:
    page = (
        '<form method="post" action="/panel/logout"><input type="hidden" name="csrf_token" '
        'value="a&amp;b"></form>'
    )
    assert hidden_fields(page, "/panel/logout") == {"csrf_token": "a&b"}


async def test_the_sign_in_token_is_in_no_log_line_and_no_page(
    site: Site, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    jwt = token("customer", "c-sara", name="سارا محمدی")
    signature = jwt.rsplit(".", 1)[1]
    async with site.browser() as browser:
        answer = await browser.get("/panel/sso", params={"jwt": jwt, "return_to": "/panel/"})
        assert answer.status_code == 303
        pages = [await browser.get(p) for p in ("/panel/tickets", "/panel/notifications")]
    logged = capsys.readouterr()
    for text in (logged.out, logged.err, caplog.text, *(p.text for p in pages)):
        assert signature not in text
    assert signature not in answer.headers["location"]


async def test_the_panel_process_sends_a_bare_panel_path_home_relatively(
    production: httpx.AsyncClient,
) -> None:
    answer = await production.get("/panel")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/panel/"  # never the process's internal host
