"""`python -m ticketing_query`: the query API and its projector as its own process; with
TICKETING_QUERY_PROJECTOR=false, an API replica over a read model another process projects.

Configured by TICKETING_* environment variables (QuerySettings); listens on
TICKETING_HOST:TICKETING_PORT (default 127.0.0.1:8002). SIGTERM or SIGINT stops it gracefully:
requests in flight finish, then the projector stops (it resumes from its checkpoint) and the
stores close.
"""

from __future__ import annotations

from ticketing_web.observability import configure_logging
from ticketing_web.serve import serve

from ticketing_query.bootstrap import build_query_service
from ticketing_query.entrypoints.http import create_app
from ticketing_query.settings import QuerySettings

DEFAULT_PORT = 8002


def main() -> None:
    settings = QuerySettings()
    configure_logging(settings.log_level)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    serve(create_app(build_query_service(settings)), default_port=DEFAULT_PORT)


if __name__ == "__main__":
    main()
