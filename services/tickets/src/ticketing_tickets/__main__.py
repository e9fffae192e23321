"""`python -m ticketing_tickets`: the tickets command API as its own process.

Configured by TICKETING_* environment variables (TicketsSettings); listens on
TICKETING_HOST:TICKETING_PORT (default 127.0.0.1:8001). SIGTERM or SIGINT stops it gracefully:
requests in flight finish, then the stores close.
"""

from __future__ import annotations

from ticketing_web.observability import configure_logging
from ticketing_web.serve import serve

from ticketing_tickets.bootstrap import build_tickets_service
from ticketing_tickets.entrypoints.http import create_app
from ticketing_tickets.settings import TicketsSettings

DEFAULT_PORT = 8001


def main() -> None:
    settings = TicketsSettings()
    configure_logging(settings.log_level)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    serve(create_app(build_tickets_service(settings)), default_port=DEFAULT_PORT)


if __name__ == "__main__":
    main()
