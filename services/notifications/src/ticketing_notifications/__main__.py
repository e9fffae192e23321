"""`python -m ticketing_notifications`: the notifications API, its consumer and its email/SMS
sender as their own process.

Configured by TICKETING_* environment variables (NotificationsSettings); listens on
TICKETING_HOST:TICKETING_PORT (default 127.0.0.1:8004). SIGTERM or SIGINT stops it gracefully:
requests in flight finish, then the consumer and the sender stop (what they did is recorded)
and the stores close.
"""

from __future__ import annotations

from ticketing_web.observability import configure_logging
from ticketing_web.serve import serve

from ticketing_notifications.bootstrap import build_notifications_service
from ticketing_notifications.entrypoints.http import create_app
from ticketing_notifications.settings import NotificationsSettings

DEFAULT_PORT = 8004


def main() -> None:
    settings = NotificationsSettings()
    configure_logging(settings.log_level)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    serve(create_app(build_notifications_service(settings)), default_port=DEFAULT_PORT)


if __name__ == "__main__":
    main()
