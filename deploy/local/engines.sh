#!/usr/bin/env bash
# Start, stop and inspect the real engines as plain local processes on 127.0.0.1, without
# containers: Kafka (KRaft, one node), FerretDB (SQLite backend, through our launcher in
# ./ferretdb) and an S3 store (MinIO by default, s3proxy as the fallback).
#
#   deploy/local/engines.sh up       fetch/build what is missing (cached), start, wait, print URLs
#   deploy/local/engines.sh down     stop exactly the processes that `up` started (pid files)
#   deploy/local/engines.sh down kafka minio   only those (kafka, ferretdb, minio, s3proxy)
#   deploy/local/engines.sh status   what runs, and whether it answers
#
# See deploy/local/README.md for the environment variables, ports, caches and timings.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

CACHE=${TICKETING_ENGINES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ticketing-engines}
RUN_DIR=${TICKETING_ENGINES_RUN_DIR:-$ROOT/var/engines}
ENGINES=${TICKETING_ENGINES:-kafka ferretdb s3}
PYTHON=${PYTHON:-python3}
HOST=127.0.0.1

KAFKA_VERSION=${KAFKA_VERSION:-4.4.0}
KAFKA_PORT=${KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}

FERRETDB_PORT=${FERRETDB_PORT:-27018}

S3_ENGINE=${S3_ENGINE:-minio} # minio | s3proxy
S3_PORT=${S3_PORT:-9000}
S3_ACCESS_KEY=${S3_ACCESS_KEY:-ticketing}
S3_SECRET_KEY=${S3_SECRET_KEY:-ticketing-dev-secret}
MINIO_VERSION=${MINIO_VERSION:-v0.0.0-20260212201848-7aac2a2c5b7c}
MINIO_CONSOLE_PORT=${MINIO_CONSOLE_PORT:-9001}
S3PROXY_VERSION=${S3PROXY_VERSION:-2.7.0}

READY_TIMEOUT=${ENGINES_READY_TIMEOUT:-90}
STOP_TIMEOUT=${ENGINES_STOP_TIMEOUT:-30}

# name -> substring that must appear in the process's command line for its pid file to be trusted
declare -A MARKER=(
    [kafka]="kafka.Kafka"
    [ferretdb]="ferretdb-launcher"
    [minio]="minio server"
    [s3proxy]="org.gaul.s3proxy.Main"
)
ALL_PROCS=(s3proxy minio ferretdb kafka) # stop order

log() { printf '[engines] %s\n' "$*" >&2; }
die() {
    printf '[engines] error: %s\n' "$*" >&2
    exit 1
}
need() { command -v "$1" >/dev/null 2>&1 || die "$1 is required for $2 but is not on PATH"; }
now() { date +%s; }

pid_file() { echo "$RUN_DIR/$1.pid"; }

# Prints the pid if the process recorded in the pid file is alive and is ours.
running_pid() {
    local name=$1 f pid cmd
    f=$(pid_file "$name")
    [[ -f $f ]] || return 1
    pid=$(<"$f")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    [[ -r /proc/$pid/cmdline ]] || return 1
    cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline")
    [[ $cmd == *"${MARKER[$name]}"* ]] || return 1
    echo "$pid"
}

port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

require_free_port() {
    local port=$1 what=$2
    if port_open "$port"; then
        die "port $HOST:$port ($what) is already in use by a process these scripts did not start; set another port (see deploy/local/README.md)"
    fi
}

# start_bg NAME LOGFILE WORKDIR CMD...: start detached, record the pid.
start_bg() {
    local name=$1 logf=$2 dir=$3
    shift 3
    mkdir -p "$(dirname "$logf")"
    printf '\n==== %s start %s ====\n' "$name" "$(date -u +%FT%TZ)" >>"$logf"
    (cd "$dir" && exec setsid "$@" >>"$logf" 2>&1 </dev/null) &
    local pid=$! i
    echo "$pid" >"$(pid_file "$name")"
    # The subshell needs a moment to exec the real command: wait until the pid shows it.
    for ((i = 0; i < 100; i++)); do
        running_pid "$name" >/dev/null && return 0
        kill -0 "$pid" 2>/dev/null || return 0 # died: wait_ready reports it with the log
        sleep 0.05
    done
}

# wait_ready NAME LOGFILE PROBE-ARGS...: poll the probe until it succeeds, the process dies or time runs out.
wait_ready() {
    local name=$1 logf=$2 deadline
    shift 2
    deadline=$(($(now) + READY_TIMEOUT))
    while :; do
        if ! running_pid "$name" >/dev/null; then
            log "$name exited during start-up; last lines of $logf:"
            tail -n 30 "$logf" >&2 || true
            rm -f "$(pid_file "$name")"
            die "$name did not start"
        fi
        if "$PYTHON" "$HERE/probe.py" "$@" >/dev/null 2>&1; then
            return 0
        fi
        if (($(now) >= deadline)); then
            "$PYTHON" "$HERE/probe.py" "$@" || true
            log "$name not ready after ${READY_TIMEOUT}s; last lines of $logf:"
            tail -n 30 "$logf" >&2 || true
            die "$name did not become ready (it is still running: use 'down' to stop it)"
        fi
        sleep 0.5
    done
}

# ---------------------------------------------------------------- Kafka

kafka_lib() { echo "$CACHE/kafka-$KAFKA_VERSION/lib"; }

kafka_prepare() {
    local lib tmp
    lib=$(kafka_lib)
    [[ -f $lib/.complete ]] && return 0
    need mvn "Kafka"
    log "kafka: resolving kafka_2.13 $KAFKA_VERSION jars into $lib (once)"
    tmp="$lib.tmp.$$"
    rm -rf "$tmp"
    mvn -B -Dstyle.color=never -f "$HERE/kafka/pom.xml" dependency:copy-dependencies \
        -Dkafka.version="$KAFKA_VERSION" -DincludeScope=runtime -DoutputDirectory="$tmp" >"$RUN_DIR/logs/kafka-fetch.log" 2>&1 ||
        {
            tail -n 30 "$RUN_DIR/logs/kafka-fetch.log" >&2
            die "kafka: mvn dependency:copy-dependencies failed (full log: $RUN_DIR/logs/kafka-fetch.log)"
        }
    rm -rf "$lib"
    mv "$tmp" "$lib"
    touch "$lib/.complete"
}

kafka_up() {
    local dir=$RUN_DIR/kafka logf=$RUN_DIR/logs/kafka.log lib props cid
    if pid=$(running_pid kafka); then
        log "kafka: already running (pid $pid)"
    else
        need java "Kafka"
        kafka_prepare
        require_free_port "$KAFKA_PORT" "Kafka"
        require_free_port "$KAFKA_CONTROLLER_PORT" "Kafka controller"
        lib=$(kafka_lib)
        mkdir -p "$dir/data"
        props=$dir/server.properties
        cat >"$props" <<EOF
# Generated by deploy/local/engines.sh: one KRaft node, broker and controller, on $HOST only.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
EOF
        if [[ ! -f $dir/data/meta.properties ]]; then
            if [[ ! -s $dir/cluster-id ]]; then
                "$PYTHON" -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("="))' >"$dir/cluster-id"
            fi
            cid=$(<"$dir/cluster-id")
            log "kafka: formatting KRaft storage (cluster id $cid)"
            java -cp "$lib/*" kafka.tools.StorageTool format --cluster-id="$cid" -c "$props" >>"$logf" 2>&1 ||
                {
                    tail -n 20 "$logf" >&2
                    die "kafka: storage format failed"
                }
        fi
        log "kafka: starting on $HOST:$KAFKA_PORT (controller $KAFKA_CONTROLLER_PORT)"
        # shellcheck disable=SC2086 # KAFKA_HEAP_OPTS is a list of JVM flags
        start_bg kafka "$logf" "$dir" java $KAFKA_HEAP_OPTS -Dorg.slf4j.simpleLogger.showDateTime=true \
            -cp "$lib/*" kafka.Kafka "$props"
    fi
    wait_ready kafka "$logf" kafka "$HOST:$KAFKA_PORT"
}

# ---------------------------------------------------------------- FerretDB

ferretdb_bin() { echo "$CACHE/ferretdb-launcher"; }

ferretdb_prepare() {
    local bin stamp want
    bin=$(ferretdb_bin)
    want=$(cat "$HERE/ferretdb/go.mod" "$HERE/ferretdb/go.sum" "$HERE"/ferretdb/*.go | sha256sum | cut -d' ' -f1)
    stamp=$bin.stamp
    if [[ -x $bin && -f $stamp && $(<"$stamp") == "$want" ]]; then
        return 0
    fi
    need go "FerretDB"
    log "ferretdb: building the launcher into $bin (once per source change)"
    mkdir -p "$CACHE"
    local t
    t=$(now)
    (cd "$HERE/ferretdb" && go build -buildvcs=false -trimpath -o "$bin.tmp.$$" .) >"$RUN_DIR/logs/ferretdb-build.log" 2>&1 ||
        {
            tail -n 30 "$RUN_DIR/logs/ferretdb-build.log" >&2
            die "ferretdb: go build failed (full log: $RUN_DIR/logs/ferretdb-build.log)"
        }
    mv "$bin.tmp.$$" "$bin"
    echo "$want" >"$stamp"
    log "ferretdb: built in $(($(now) - t))s"
}

ferretdb_up() {
    local dir=$RUN_DIR/ferretdb logf=$RUN_DIR/logs/ferretdb.log
    if pid=$(running_pid ferretdb); then
        log "ferretdb: already running (pid $pid)"
    else
        ferretdb_prepare
        require_free_port "$FERRETDB_PORT" "FerretDB"
        mkdir -p "$dir/data"
        log "ferretdb: starting on $HOST:$FERRETDB_PORT (SQLite in $dir/data)"
        start_bg ferretdb "$logf" "$dir" "$(ferretdb_bin)" -listen "$HOST:$FERRETDB_PORT" -sqlite-dir "$dir/data"
    fi
    wait_ready ferretdb "$logf" mongo "$HOST:$FERRETDB_PORT"
}

# ---------------------------------------------------------------- MinIO

minio_prepare() {
    local bin=$CACHE/bin/minio
    if [[ -x $bin && -f $bin.version && $(<"$bin.version") == "$MINIO_VERSION" ]]; then
        return 0
    fi
    need go "MinIO"
    log "minio: go install github.com/minio/minio@$MINIO_VERSION into $CACHE/bin (once; minutes on 2 cores)"
    mkdir -p "$CACHE/bin"
    local t
    t=$(now)
    (cd "$CACHE" && GOBIN="$CACHE/bin" GOFLAGS=-buildvcs=false go install "github.com/minio/minio@$MINIO_VERSION") \
        >"$RUN_DIR/logs/minio-build.log" 2>&1 ||
        {
            tail -n 30 "$RUN_DIR/logs/minio-build.log" >&2
            die "minio: go install failed (full log: $RUN_DIR/logs/minio-build.log); S3_ENGINE=s3proxy is the fallback"
        }
    log "minio: built in $(($(now) - t))s"
    echo "$MINIO_VERSION" >"$bin.version"
}

minio_up() {
    local dir=$RUN_DIR/minio logf=$RUN_DIR/logs/minio.log
    if pid=$(running_pid minio); then
        log "minio: already running (pid $pid)"
    else
        minio_prepare
        require_free_port "$S3_PORT" "MinIO"
        require_free_port "$MINIO_CONSOLE_PORT" "MinIO console"
        mkdir -p "$dir/data"
        log "minio: starting on $HOST:$S3_PORT (console $MINIO_CONSOLE_PORT)"
        MINIO_ROOT_USER=$S3_ACCESS_KEY MINIO_ROOT_PASSWORD=$S3_SECRET_KEY MINIO_UPDATE=off \
            start_bg minio "$logf" "$dir" "$CACHE/bin/minio" server "$dir/data" \
            --address "$HOST:$S3_PORT" --console-address "$HOST:$MINIO_CONSOLE_PORT" --quiet
    fi
    wait_ready minio "$logf" http "http://$HOST:$S3_PORT/minio/health/ready"
}

# ---------------------------------------------------------------- s3proxy (fallback)

s3proxy_lib() { echo "$CACHE/s3proxy-$S3PROXY_VERSION/lib"; }

s3proxy_prepare() {
    local lib tmp
    lib=$(s3proxy_lib)
    [[ -f $lib/.complete ]] && return 0
    need mvn "s3proxy"
    log "s3proxy: resolving org.gaul:s3proxy $S3PROXY_VERSION jars into $lib (once)"
    tmp="$lib.tmp.$$"
    rm -rf "$tmp"
    mvn -B -Dstyle.color=never -f "$HERE/s3proxy/pom.xml" dependency:copy-dependencies \
        -Ds3proxy.version="$S3PROXY_VERSION" -DincludeScope=runtime -DoutputDirectory="$tmp" >"$RUN_DIR/logs/s3proxy-fetch.log" 2>&1 ||
        {
            tail -n 30 "$RUN_DIR/logs/s3proxy-fetch.log" >&2
            die "s3proxy: mvn dependency:copy-dependencies failed (full log: $RUN_DIR/logs/s3proxy-fetch.log)"
        }
    rm -rf "$lib"
    mv "$tmp" "$lib"
    touch "$lib/.complete"
}

s3proxy_up() {
    local dir=$RUN_DIR/s3proxy logf=$RUN_DIR/logs/s3proxy.log props
    if pid=$(running_pid s3proxy); then
        log "s3proxy: already running (pid $pid)"
    else
        need java "s3proxy"
        s3proxy_prepare
        require_free_port "$S3_PORT" "s3proxy"
        mkdir -p "$dir/data"
        props=$dir/s3proxy.properties
        cat >"$props" <<EOF
# Generated by deploy/local/engines.sh
s3proxy.endpoint=http://$HOST:$S3_PORT
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$S3_ACCESS_KEY
s3proxy.credential=$S3_SECRET_KEY
jclouds.provider=filesystem-nio2
jclouds.filesystem.basedir=$dir/data
jclouds.identity=local
jclouds.credential=local
EOF
        # The jar ships no logback configuration, so logback would log every request at DEBUG.
        # (stdout, not System.err: with a System.err target s3proxy's messages never appeared.)
        cat >"$dir/logback.xml" <<'EOF'
<configuration>
  <appender name="CONSOLE" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%d{HH:mm:ss.SSS} [%thread] %-5level %logger{36} - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="CONSOLE"/></root>
</configuration>
EOF
        log "s3proxy: starting on $HOST:$S3_PORT (files in $dir/data)"
        start_bg s3proxy "$logf" "$dir" java -Xmx256m -Dlogback.configurationFile="$dir/logback.xml" -cp "$(s3proxy_lib)/*" org.gaul.s3proxy.Main --properties "$props"
    fi
    # s3proxy has no health endpoint: any HTTP answer (403 for an anonymous GET /) means it serves.
    wait_ready s3proxy "$logf" http-any "http://$HOST:$S3_PORT/"
}

# ---------------------------------------------------------------- commands

s3_proc() {
    case $S3_ENGINE in
    minio | s3proxy) echo "$S3_ENGINE" ;;
    *) die "S3_ENGINE must be minio or s3proxy, not '$S3_ENGINE'" ;;
    esac
}

write_env() {
    local envf=$RUN_DIR/env tmp
    tmp=$envf.tmp.$$
    {
        echo "# Written by deploy/local/engines.sh up; source it: . var/engines/env"
        for e in kafka ferretdb s3; do # every engine: a partial `up` (with-engines.sh) keeps the others
            case $e in
            kafka) echo "export KAFKA_BOOTSTRAP=$HOST:$KAFKA_PORT" ;;
            ferretdb) echo "export MONGODB_URL=mongodb://$HOST:$FERRETDB_PORT" ;;
            s3)
                echo "export S3_URL=http://$HOST:$S3_PORT"
                echo "export S3_ACCESS_KEY=$S3_ACCESS_KEY"
                echo "export S3_SECRET_KEY=$S3_SECRET_KEY"
                echo "export S3_ENGINE=$S3_ENGINE"
                if [[ $S3_ENGINE == s3proxy ]]; then
                    # s3proxy rejects the flexible-checksum headers that botocore >= 1.36 sends by default
                    echo "export AWS_REQUEST_CHECKSUM_CALCULATION=when_required"
                    echo "export AWS_RESPONSE_CHECKSUM_VALIDATION=when_required"
                fi
                ;;
            esac
        done
    } >"$tmp"
    mv "$tmp" "$envf"
    grep '^export' "$envf" | sed 's/^export //'
    echo "# also written to $envf"
}

cmd_up() {
    local t0 t e s3
    t0=$(now)
    mkdir -p "$RUN_DIR/logs" "$CACHE"
    RUN_DIR=$(cd "$RUN_DIR" && pwd) # absolute: the SQLite URL and Kafka's log.dirs need it
    command -v "$PYTHON" >/dev/null || die "$PYTHON is required for the readiness probes"
    s3=$(s3_proc)
    for other in minio s3proxy; do
        if [[ $other != "$s3" ]] && pid=$(running_pid "$other"); then
            die "$other is running (pid $pid) but S3_ENGINE=$s3: run 'down' first"
        fi
    done
    for e in $ENGINES; do
        t=$(now)
        case $e in
        kafka) kafka_up ;;
        ferretdb) ferretdb_up ;;
        s3) "${s3}_up" ;;
        *) die "unknown engine '$e' in TICKETING_ENGINES (kafka, ferretdb, s3)" ;;
        esac
        log "$e ready ($(($(now) - t))s)"
    done
    log "all ready in $(($(now) - t0))s"
    write_env
}

cmd_down() {
    local name pid f deadline stopped=0 procs=("${ALL_PROCS[@]}")
    # Named processes only (with-engines.sh stops just what it started); none named: all of them.
    (($#)) && procs=("$@")
    [[ -d $RUN_DIR ]] || {
        log "nothing to stop ($RUN_DIR does not exist)"
        return 0
    }
    for name in "${procs[@]}"; do
        f=$(pid_file "$name")
        [[ -f $f ]] || continue
        if pid=$(running_pid "$name"); then
            log "$name: stopping pid $pid"
            kill -TERM "$pid" 2>/dev/null || true
            deadline=$(($(now) + STOP_TIMEOUT))
            while kill -0 "$pid" 2>/dev/null; do
                if (($(now) >= deadline)); then
                    log "$name: still alive after ${STOP_TIMEOUT}s, sending SIGKILL"
                    kill -KILL "$pid" 2>/dev/null || true
                    sleep 0.5
                    break
                fi
                sleep 0.3
            done
            stopped=$((stopped + 1))
        else
            log "$name: stale pid file (process gone or not ours), removing it"
        fi
        rm -f "$f"
    done
    (($#)) || rm -f "$RUN_DIR/env"
    log "stopped $stopped process(es)"
}

cmd_status() {
    local name pid rc=0 probe
    for name in kafka ferretdb minio s3proxy; do
        if pid=$(running_pid "$name"); then
            case $name in
            kafka) probe=(kafka "$HOST:$KAFKA_PORT") ;;
            ferretdb) probe=(mongo "$HOST:$FERRETDB_PORT") ;;
            minio) probe=(http "http://$HOST:$S3_PORT/minio/health/ready") ;;
            s3proxy) probe=(http-any "http://$HOST:$S3_PORT/") ;;
            esac
            if out=$("$PYTHON" "$HERE/probe.py" "${probe[@]}" 2>&1); then
                printf '%-9s running  pid %-7s %s\n' "$name" "$pid" "$out"
            else
                printf '%-9s running  pid %-7s NOT ANSWERING: %s\n' "$name" "$pid" "$out"
                rc=1
            fi
        elif [[ -f $(pid_file "$name") ]]; then
            printf '%-9s stale pid file %s\n' "$name" "$(pid_file "$name")"
        else
            printf '%-9s stopped\n' "$name"
        fi
    done
    [[ -f $RUN_DIR/env ]] && echo "env: $RUN_DIR/env"
    return "$rc"
}

case ${1:-} in
up) cmd_up ;;
down)
    shift
    cmd_down "$@"
    ;;
status) cmd_status ;;
*)
    echo "usage: $0 up|down|status" >&2
    exit 2
    ;;
esac
