"""`ticketing run` serves the embedded mode; `ticketing token` mints development tokens;
`ticketing rebuild` rebuilds the query read model from the event history."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from ticketing_contracts.roles import Role
from ticketing_tickets.settings import TicketsSettings
from ticketing_web.auth import refused_claims, sign_claims, token_claims

ROLES = tuple(role.value for role in Role)  # the one definition: ticketing_contracts.roles


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ticketing", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="serve the embedded mode (one process, local files)")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000, help="0: any free port (printed)")

    token = sub.add_parser("token", help="mint an HS256 token signed with TICKETING_JWT_SECRET")
    token.add_argument("--role", choices=ROLES, required=True)
    token.add_argument("--sub", required=True, help="the user id")
    token.add_argument("--brand", required=True)
    token.add_argument("--name")
    token.add_argument("--departments", type=_csv, help="agent: comma-separated; omit for all")
    token.add_argument("--customers", type=_csv, help="representative: comma-separated ids")
    token.add_argument("--ttl", type=int, default=3600, help="seconds until it expires")

    sub.add_parser(
        "rebuild",
        help="reset the query read model and replay the event history into it (refused while "
        "`run` serves the same data directory)",
    )

    args = parser.parse_args(argv)
    if args.command == "rebuild":
        from .rebuild_command import rebuild_read_model

        return asyncio.run(rebuild_read_model())
    settings = TicketsSettings()
    if args.command == "token":
        return _token(parser, args, settings)
    from .serve_embedded import run_embedded

    return run_embedded(
        host=args.host,
        port=args.port,
        data_dir=settings.data_dir,
        dev_mode=settings.mode == "dev",
    )


def _token(
    parser: argparse.ArgumentParser, args: argparse.Namespace, settings: TicketsSettings
) -> int:
    if settings.jwt_secret is None:
        parser.error("TICKETING_JWT_SECRET is not set (tokens are HS256)")
    now = int(time.time())
    claims = token_claims(
        sub=args.sub,
        role=args.role,
        brand=args.brand,
        ttl_seconds=args.ttl,
        now=now,
        name=args.name,
        departments=args.departments,
        customers=args.customers,
    )
    # The services check these too: a token they would refuse is not worth handing out.
    if settings.jwt_audience:
        claims["aud"] = settings.jwt_audience
    if settings.jwt_issuer:
        claims["iss"] = settings.jwt_issuer
    refused = refused_claims(claims, now=now)
    if refused:
        parser.error("the services would refuse this token: " + "; ".join(refused))
    print(sign_claims(claims, secret=settings.jwt_secret.get_secret_value()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
