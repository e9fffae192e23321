#!/usr/bin/env bash
# Runs a command with the real engines up. Engines already running are used as they are; the
# missing ones are started for the command and stopped after it (only those), so a machine where
# nobody started the engines is left as it was found.
#
#   deploy/local/with-engines.sh <command> [args...]
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
S3_ENGINE=${S3_ENGINE:-minio}

status=$(bash "$HERE/engines.sh" status 2>/dev/null || true)
missing=() # engine names for `up`
procs=()   # process names for `down`
for pair in kafka:kafka ferretdb:ferretdb "s3:$S3_ENGINE"; do
    engine=${pair%%:*} proc=${pair#*:}
    if ! grep -Eq "^$proc +running" <<<"$status"; then
        missing+=("$engine")
        procs+=("$proc")
    fi
done

if ((${#missing[@]} == 0)); then
    exec "$@"
fi
printf '[with-engines] starting %s for this command; stopped again after it\n' "${missing[*]}" >&2
# All missing: a plain `down` (which also removes the env file); else only what was started here.
((${#missing[@]} == 3)) && procs=()
trap 'bash "$HERE/engines.sh" down ${procs[@]+"${procs[@]}"}' EXIT
TICKETING_ENGINES="${missing[*]}" bash "$HERE/engines.sh" up
"$@"
