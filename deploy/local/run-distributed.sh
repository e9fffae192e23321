#!/usr/bin/env bash
# The distributed mode on this machine: the relay, the four services, the panel and the gateway as local
# processes on the engines that `make engines-up` started (Kafka, FerretDB, MinIO/s3proxy).
#
#   deploy/local/run-distributed.sh [--run-dir DIR] [--port-base 8000] [--ready-timeout 90]
#
# The event store is a SQLite file shared by the tickets service and the relay (no KurrentDB
# runs here); the read model is the MongoDB database `ticketing_query`; attachments go to the
# S3 bucket `ticketing-attachments`; the query, attachments and notifications services consume
# the Kafka topic `tickets.events.v1`. Logs: var/distributed/logs/<process>.log. Waits until
# every /readyz answers, prints the gateway URL (http://127.0.0.1:8000), and on Ctrl-C or
# SIGTERM stops exactly the processes it started (by pid). The work is done by
# `python -m ticketing.distributed` (src/ticketing/distributed/), which the distributed
# end-to-end test uses too.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ENGINES_ENV=${TICKETING_ENGINES_RUN_DIR:-$ROOT/var/engines}/env
PY=${PY:-$ROOT/.venv/bin/python}

if [[ ! -f $ENGINES_ENV ]]; then
    echo "run-distributed: $ENGINES_ENV is missing: the engines are not running." >&2
    echo "run-distributed: start them first with \`make engines-up\`." >&2
    exit 1
fi
if [[ ! -x $PY ]]; then
    echo "run-distributed: $PY is missing: run \`make env\` (or any make target) first." >&2
    exit 1
fi

# shellcheck source=/dev/null
. "$ENGINES_ENV"
cd "$ROOT"
# exec: the supervisor gets Ctrl-C and SIGTERM itself and stops its children by pid.
exec "$PY" -m ticketing.distributed --run-dir "$ROOT/var/distributed" "$@"
