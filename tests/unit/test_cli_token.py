"""`ticketing token` refuses (exit 2, saying why) every token the services would refuse, judged
by the same model the services verify tokens with."""

from __future__ import annotations

import pytest
from ticketing_tickets.settings import DEV_JWT_SECRET
from ticketing_web.auth import TokenVerifier

from ticketing.cli import main

BASE = ["token", "--role", "customer", "--sub", "c-1"]


@pytest.fixture(autouse=True)
def _dev_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TICKETING_JWT_SECRET", "TICKETING_JWT_AUDIENCE", "TICKETING_JWT_ISSUER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TICKETING_MODE", "dev")


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--brand", "acme-shop"], "brand"),  # '-' would let one brand's prefix match another's
        (["--brand", "acme\n"], "brand"),
        (["--brand", "فروشگاه"], "brand"),
        (["--brand", ""], "brand"),
        (["--brand", "b" * 65], "brand"),
        (["--brand", "acme", "--ttl", "0"], "exp"),
        (["--brand", "acme", "--ttl", "-60"], "exp"),
    ],
    ids=["hyphen", "final-newline", "persian-letters", "empty", "65-characters", "ttl-0", "ttl-<0"],
)
def test_a_claim_the_services_would_refuse_is_refused_with_exit_2(
    args: list[str], named: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*BASE, *args])
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # no token at all
    assert "the services would refuse this token" in captured.err
    assert named in captured.err


@pytest.mark.parametrize("sub", ["", "x" * 129], ids=["empty-sub", "129-character-sub"])
def test_a_user_id_the_services_would_refuse_is_refused(
    sub: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["token", "--role", "agent", "--sub", sub, "--brand", "acme"])
    assert exited.value.code == 2
    assert "sub" in capsys.readouterr().err


async def test_a_token_for_a_configured_audience_and_issuer_is_one_the_services_accept(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETING_JWT_AUDIENCE", "ticketing-api")
    monkeypatch.setenv("TICKETING_JWT_ISSUER", "https://id.acme.test")
    assert main(["token", "--role", "admin", "--sub", "مدیر-۱", "--brand", "acme_2"]) == 0
    token = capsys.readouterr().out.strip()
    verifier = TokenVerifier(
        hs256_secret=DEV_JWT_SECRET, audience="ticketing-api", issuer="https://id.acme.test"
    )
    identity = await verifier.verify(token)
    assert (identity.sub, identity.brand) == ("مدیر-۱", "acme_2")
