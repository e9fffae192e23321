"""`python -m ticketing_attachments`: the attachments API, its internal API (for the tickets
and query services) and its reference consumer as their own process.

Configured by TICKETING_* environment variables (AttachmentsSettings); listens on
TICKETING_HOST:TICKETING_PORT (default 127.0.0.1:8003). SIGTERM or SIGINT stops it gracefully:
requests in flight finish, then the consumer stops (it resumes from its checkpoint) and the
stores close.
"""

from __future__ import annotations

from ticketing_web.observability import configure_logging
from ticketing_web.serve import serve

from ticketing_attachments.bootstrap import build_attachments_service
from ticketing_attachments.entrypoints.http import create_app
from ticketing_attachments.settings import AttachmentsSettings

DEFAULT_PORT = 8003


def main() -> None:
    settings = AttachmentsSettings()
    configure_logging(settings.log_level)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    serve(create_app(build_attachments_service(settings)), default_port=DEFAULT_PORT)


if __name__ == "__main__":
    main()
