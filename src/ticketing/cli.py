"""`ticketing run` serves the embedded mode; `ticketing token` mints development tokens."""

from __future__ import annotations

import argparse
import sys
import time

from ticketing_tickets.settings import TicketsSettings
from ticketing_web.auth import mint_token

ROLES = ("customer", "representative", "agent", "admin")


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ticketing", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="serve the embedded mode (one process, local files)")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)

    token = sub.add_parser("token", help="mint an HS256 token signed with TICKETING_JWT_SECRET")
    token.add_argument("--role", choices=ROLES, required=True)
    token.add_argument("--sub", required=True, help="the user id")
    token.add_argument("--brand", required=True)
    token.add_argument("--name")
    token.add_argument("--departments", type=_csv, help="agent: comma-separated; omit for all")
    token.add_argument("--customers", type=_csv, help="representative: comma-separated ids")
    token.add_argument("--ttl", type=int, default=3600, help="seconds until it expires")

    args = parser.parse_args(argv)
    if args.command == "token":
        settings = TicketsSettings()
        if settings.jwt_secret is None:
            parser.error("TICKETING_JWT_SECRET is not set (tokens are HS256)")
        print(
            mint_token(
                secret=settings.jwt_secret.get_secret_value(),
                sub=args.sub,
                role=args.role,
                brand=args.brand,
                ttl_seconds=args.ttl,
                now=int(time.time()),
                name=args.name,
                departments=args.departments,
                customers=args.customers,
            )
        )
        return 0
    import uvicorn

    from ticketing.embedded import create_embedded_app

    # Our middleware writes one JSON access line per request; uvicorn's own would repeat it.
    uvicorn.run(
        create_embedded_app(), host=args.host, port=args.port, log_config=None, access_log=False
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
