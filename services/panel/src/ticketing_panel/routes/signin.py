"""Signing in and out: the brand's SSO link, the dev-mode demo people, and logout."""

from __future__ import annotations

import time
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from ticketing_web.auth import Unauthorized, mint_token

from ..guards import COOKIE, PREFIX, safe_return_to
from ..web import PanelPage, checked_form, error_page, panel_of, render, see_other

router = APIRouter()
DEMO_TOKEN_SECONDS = 8 * 3600


@router.get("/sso", response_model=None)
async def sso(request: Request, jwt: str = "", return_to: str = "") -> Response:
    """Signs in with the brand's short-lived JWT, verified exactly as the API verifies it."""
    panel = panel_of(request)
    try:
        identity = await panel.verifier.verify(jwt)
    except Unauthorized:
        return await error_page(request, 401)
    if identity.exp <= time.time():  # the verifier's leeway is for clock skew, not sessions
        return await error_page(request, 401)
    panel.sessions.close(request.cookies.get(COOKIE))  # a new sign-in, a new session id
    session = panel.sessions.open(token=jwt, identity=identity)
    response = see_other(safe_return_to(return_to))
    response.set_cookie(
        COOKIE,
        session.session_id,
        max_age=panel.sessions.seconds_left(session),
        path=PREFIX,
        httponly=True,
        samesite="lax",
        secure=not panel.settings.dev,
    )
    return response


@router.post("/logout", response_model=None)
async def logout(request: Request) -> Response:
    """Ends the session on the server and in the browser."""
    panel = panel_of(request)
    session = panel.sessions.get(request.cookies.get(COOKIE))
    if session is not None:
        await checked_form(request, session)
        panel.sessions.close(session.session_id)
    response = see_other(f"{PREFIX}/signed-out")
    response.delete_cookie(COOKIE, path=PREFIX)
    return response


@router.get("/signed-out", response_class=HTMLResponse)
async def signed_out(request: Request) -> HTMLResponse:
    return await render(request, "error.html", {"status": 401, "signed_out": True})


SEED_DEPARTMENTS = {
    "technical": "پشتیبانی فنی",
    "finance": "امور مالی",
    "upgrade": "ارتقا و تمدید",
    "refunds": "بازگشت وجه",
    "documents": "مدارک",
    "feedback": "انتقادات و پیشنهادات",
}


@dataclass(frozen=True)
class DemoPerson:
    key: str
    brand: str
    brand_name: str
    role: str
    sub: str
    name: str
    departments: tuple[str, ...] | None = None
    customers: tuple[str, ...] | None = None

    @property
    def serves(self) -> str:
        """The departments an agent serves, in Persian (the seeds' default labels)."""
        return "، ".join(SEED_DEPARTMENTS.get(d, d) for d in self.departments or ())

    @property
    def what(self) -> str:
        return {
            "customer": "مشتری",
            "representative": "نماینده",
            "agent": "کارشناس",
            "admin": "مدیر",
        }[self.role]


DEMO_PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson("acme-sara", "acme", "ایرانیکا", "customer", "c-sara", "سارا محمدی"),
    DemoPerson("acme-reza", "acme", "ایرانیکا", "customer", "c-reza", "رضا احمدی"),
    DemoPerson(
        "acme-rep",
        "acme",
        "ایرانیکا",
        "representative",
        "r-pars",
        "نمایندگی پارس",
        customers=("c-sara", "c-reza"),
    ),
    DemoPerson("acme-tech", "acme", "ایرانیکا", "agent", "a-maryam", "مریم کریمی", ("technical",)),
    DemoPerson(
        "acme-finance",
        "acme",
        "ایرانیکا",
        "agent",
        "a-ali",
        "علی رضایی",
        ("finance", "refunds", "upgrade"),
    ),
    DemoPerson("acme-admin", "acme", "ایرانیکا", "admin", "m-neda", "ندا حسینی"),
    DemoPerson("panah-narges", "panah", "پناه", "customer", "c-narges", "نرگس رحیمی"),
    DemoPerson(
        "panah-tech",
        "panah",
        "پناه",
        "agent",
        "a-hossein",
        "حسین کاظمی",
        ("technical", "documents"),
    ),
    DemoPerson("panah-admin", "panah", "پناه", "admin", "m-laleh", "لاله مرادی"),
)


@router.get("/login", response_class=HTMLResponse)
async def demo_people(request: Request) -> HTMLResponse:
    """Dev mode only: the demo people of two brands, each signed in with one click."""
    if not panel_of(request).settings.dev:
        raise PanelPage(404)
    return await render(request, "login.html", {"people": DEMO_PEOPLE})


@router.get("/login/{key}", response_model=None)
async def demo_sign_in(request: Request, key: str) -> Response:
    """Dev mode only: mints this demo person's token here, then signs in as with SSO."""
    settings = panel_of(request).settings
    person = next((p for p in DEMO_PEOPLE if p.key == key), None)
    if not settings.dev or person is None or settings.jwt_secret is None:
        raise PanelPage(404)
    token = mint_token(
        secret=settings.jwt_secret.get_secret_value(),
        sub=person.sub,
        role=person.role,  # type: ignore[arg-type]
        brand=person.brand,
        ttl_seconds=DEMO_TOKEN_SECONDS,
        now=int(time.time()),
        name=person.name,
        departments=list(person.departments) if person.departments is not None else None,
        customers=list(person.customers) if person.customers is not None else None,
    )
    return await sso(request, jwt=token, return_to=f"{PREFIX}/tickets")
