"""`ticketing run` serves the embedded mode; `ticketing token` mints development tokens;
`ticketing rebuild` rebuilds the query read model from the event history."""

from __future__ import annotations

import argparse
import asyncio
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

    sub.add_parser(
        "rebuild",
        help="reset the query read model and replay the event history into it (stop `run` first)",
    )

    args = parser.parse_args(argv)
    if args.command == "rebuild":
        return asyncio.run(_rebuild())
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
    # Open SSE streams would hold a shutdown forever: give them 5 s.
    uvicorn.run(
        create_embedded_app(),
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=5,
    )
    return 0


async def _rebuild() -> int:
    from ticketing_query.application.rebuild import progress_line, rebuild
    from ticketing_query.bootstrap import read_model_from_url, store_feed
    from ticketing_query.settings import QuerySettings
    from ticketing_tickets.bootstrap import event_store_from_url

    settings, query_settings = TicketsSettings(), QuerySettings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = event_store_from_url(settings.resolved_event_store_url())
    read_model = read_model_from_url(query_settings.resolved_read_model_url())
    try:
        reached = await rebuild(read_model, store_feed(store), progress=progress_line())
    finally:
        await read_model.close()
        await store.close()
    print(f"rebuilt the read model up to position {reached}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
