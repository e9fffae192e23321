"""deploy/compose.yaml, checked without a container engine: pinned images, health checks,
dependencies, and each process's environment against its settings classes.

Every rule is a function returning the problems it finds; each has a test on the real file and
one on a copy broken in memory, so a rule that stops finding anything fails too.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from .deployfiles import (
    COMPOSE_FILE,
    DURABLE_DATA,
    PROCESSES,
    SECRET_SETTINGS,
    SHARED_SETTINGS,
    TEST_SECRETS,
    MissingVariable,
    http_targets,
    interpolate,
    load_yaml,
    module_exists,
    python_module,
    required_variable,
    settings_problems,
)

Compose = dict[str, Any]
ENGINES = ("kurrentdb", "kafka", "mongo", "minio")


@pytest.fixture(scope="module")
def compose() -> Compose:
    loaded = load_yaml(COMPOSE_FILE)
    assert isinstance(loaded, dict)
    return loaded


def broken(compose: Compose, change: Callable[[Compose], object]) -> Compose:
    """A deep copy of `compose` with `change` applied to it."""
    copied = copy.deepcopy(compose)
    change(copied)
    return copied


# --- reading the file ------------------------------------------------------------------------


def services(compose: Compose) -> dict[str, dict[str, Any]]:
    return dict(compose.get("services") or {})


def ours(compose: Compose) -> dict[str, dict[str, Any]]:
    """The services built from deploy/Dockerfile."""
    return {name: spec for name, spec in services(compose).items() if "build" in spec}


def raw_environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {
        str(k): "" if v is None else str(v).lower() if isinstance(v, bool) else str(v)
        for k, v in env.items()
    }


def environment(service: dict[str, Any]) -> dict[str, str]:
    """The variables as the container gets them, with the test secrets in the environment."""
    return {k: interpolate(v, TEST_SECRETS) for k, v in raw_environment(service).items()}


def image_reference_problem(image: str) -> str | None:
    name, _, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    tag = last.partition(":")[2] if ":" in last else ""
    if not tag and not digest:
        return "has no tag"
    if tag == "latest":
        return "is tagged latest"
    return None


# --- rules -----------------------------------------------------------------------------------


def image_problems(compose: Compose) -> list[str]:
    problems = []
    for name, spec in services(compose).items():
        image = spec.get("image")
        if not image:
            problems.append(f"{name}: no image (ours are tagged too, so one build serves all)")
            continue
        why = image_reference_problem(str(image))
        if why:
            problems.append(f"{name}: image {image} {why}")
    return problems


def healthcheck_problems(compose: Compose) -> list[str]:
    problems = []
    for name, spec in services(compose).items():
        if spec.get("restart") == "no":  # one-shot init jobs
            continue
        check = spec.get("healthcheck") or {}
        test = check.get("test")
        if not test or check.get("disable") or test in (["NONE"], "NONE"):
            problems.append(f"{name}: no health check")
            continue
        words = test if isinstance(test, str) else " ".join(str(word) for word in test)
        if name in ours(compose) and not re.search(r"/(readyz|healthz)\b", words):
            problems.append(f"{name}: its health check asks neither /readyz nor /healthz")
    return problems


def depends_on_problems(compose: Compose) -> list[str]:
    every = services(compose)
    problems = []
    for name, spec in every.items():
        needs = spec.get("depends_on") or {}
        if isinstance(needs, list):
            problems.append(f"{name}: depends_on without conditions starts before it is ready")
            continue
        for target, how in needs.items():
            if target not in every:
                problems.append(f"{name}: depends on {target}, which is not a service")
                continue
            condition = (how or {}).get("condition")
            if condition == "service_healthy" and not every[target].get("healthcheck"):
                problems.append(f"{name}: waits for {target} to be healthy, it has no check")
            elif condition == "service_completed_successfully":
                if every[target].get("restart") != "no":
                    problems.append(f"{name}: waits for {target} to complete; it restarts")
            elif condition != "service_healthy":
                problems.append(f"{name}: depends on {target} with condition {condition}")
    problems += _cycles(every)
    return problems


def _cycles(every: dict[str, dict[str, Any]]) -> list[str]:
    state: dict[str, str] = {}
    found: list[str] = []

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == "done" or name not in every:
            return
        if state.get(name) == "visiting":
            found.append("dependency cycle: " + " -> ".join([*path, name]))
            return
        state[name] = "visiting"
        for target in every[name].get("depends_on") or {}:
            visit(target, [*path, name])
        state[name] = "done"

    for name in every:
        visit(name, [])
    return found


def process_problems(compose: Compose) -> list[str]:
    """Ours run a known `python -m` module that exists, with settings that configure it."""
    problems = []
    for name, spec in ours(compose).items():
        module = python_module(spec.get("command"))
        if module not in PROCESSES:
            problems.append(f"{name}: command {spec.get('command')} is not a process of ours")
            continue
        if not module_exists(module):
            problems.append(f"{name}: module {module} does not exist (yet)")
        try:
            env = environment(spec)
        except MissingVariable as error:
            problems.append(f"{name}: {error}")
            continue
        problems += settings_problems(module, env, where=name)
    return problems


def shared_value_problems(compose: Compose) -> list[str]:
    problems = []
    for setting in SHARED_SETTINGS:
        values = {
            name: environment(spec)[setting]
            for name, spec in ours(compose).items()
            if setting in raw_environment(spec)
        }
        if len(set(values.values())) > 1:
            problems.append(f"{setting} differs between services: {values}")
    return problems


def secret_problems(compose: Compose) -> list[str]:
    """Secrets come from the environment (`${NAME:?…}`), never a literal or a default."""
    problems = []
    for name, spec in services(compose).items():
        for key, value in raw_environment(spec).items():
            if key in SECRET_SETTINGS | {"MINIO_ROOT_PASSWORD"} and not required_variable(value):
                problems.append(f"{name}: {key} must be ${{VARIABLE:?message}}, not {value!r}")
    return problems


def address_problems(compose: Compose) -> list[str]:
    """URLs and the Kafka bootstrap point at services of this file, ours at their ports."""
    every = services(compose)
    ports = {name: environment(spec).get("TICKETING_PORT") for name, spec in ours(compose).items()}
    kafka_env = environment(every.get("kafka", {}))
    advertised = kafka_env.get("KAFKA_ADVERTISED_LISTENERS", "")
    problems = []
    for name, spec in ours(compose).items():
        env = environment(spec)
        for setting, host, port in http_targets(env):
            if host not in every:
                problems.append(f"{name}: {setting} points at {host}, not a service")
            elif host in ports and str(port) != ports[host]:
                problems.append(
                    f"{name}: {setting} uses port {port}, {host} listens on {ports[host]}"
                )
        for setting in ("TICKETING_EVENT_STORE_URL", "TICKETING_READ_MODEL_URL"):
            host = urlsplit(env.get(setting, "")).hostname
            if host and host not in every:
                problems.append(f"{name}: {setting} points at {host}, not a service")
        for address in filter(None, env.get("TICKETING_KAFKA_BOOTSTRAP", "").split(",")):
            if f"//{address}" not in advertised:
                problems.append(f"{name}: Kafka does not advertise {address} ({advertised})")
    return problems


def published_port_problems(compose: Compose) -> list[str]:
    """Only the gateway of ours is published, on loopback, to the port it listens on."""
    problems = []
    for name, spec in ours(compose).items():
        published = [str(p) for p in spec.get("ports") or []]
        if name != "gateway" and published:
            problems.append(f"{name}: publishes {published}; only the gateway is public")
    for name, spec in services(compose).items():
        for mapping in spec.get("ports") or []:
            text = interpolate(str(mapping), {})
            if not text.startswith("127.0.0.1:"):
                problems.append(f"{name}: port {mapping} is not bound to 127.0.0.1")
            elif name in ours(compose) and text.rsplit(":", 1)[1] != environment(spec).get(
                "TICKETING_PORT"
            ):
                problems.append(f"{name}: publishes {mapping}, listens on its TICKETING_PORT")
    return problems


def storage_problems(compose: Compose) -> list[str]:
    declared = set(compose.get("volumes") or {})
    problems = []
    for name, spec in services(compose).items():
        mounts = {}
        for volume in spec.get("volumes") or []:
            source, _, target = str(volume).partition(":")
            mounts[target.split(":")[0]] = source
            if not source.startswith((".", "/")) and source not in declared:
                problems.append(f"{name}: volume {source} is not declared")
        module = python_module(spec.get("command"))
        if (name in ENGINES or module in DURABLE_DATA) and not mounts:
            problems.append(f"{name}: keeps data but mounts no volume")
        if module in DURABLE_DATA and environment(spec).get("TICKETING_DATA_DIR") not in mounts:
            problems.append(f"{name}: TICKETING_DATA_DIR is not on a volume")
    return problems


def engine_problems(compose: Compose) -> list[str]:
    """The engines are set up the way the services' URLs assume."""
    every = services(compose)
    problems = []
    kafka = environment(every.get("kafka", {}))
    roles = set(kafka.get("KAFKA_PROCESS_ROLES", "").split(","))
    if roles != {"broker", "controller"} or "KAFKA_ZOOKEEPER_CONNECT" in kafka:
        problems.append("kafka: not one KRaft node that is both broker and controller")
    query = environment(every.get("query", {}))
    read_model = urlsplit(query.get("TICKETING_READ_MODEL_URL", ""))
    replica_set = parse_qs(read_model.query).get("replicaSet", [""])[0]
    mongo_command = [str(word) for word in every.get("mongo", {}).get("command") or []]
    if "--replSet" not in mongo_command or not replica_set:
        problems.append("mongo: not a replica set, or the read model URL names none")
    elif mongo_command[mongo_command.index("--replSet") + 1] != replica_set:
        problems.append(f"mongo: --replSet differs from the URL's replicaSet={replica_set}")
    init = " ".join(str(word) for word in every.get("mongo-init", {}).get("command") or [])
    if f'_id: "{replica_set}"' not in init or "NotYetInitialized" not in init:
        problems.append("mongo-init: does not initiate the replica set idempotently")
    store = urlsplit(environment(every.get("relay", {})).get("TICKETING_EVENT_STORE_URL", ""))
    insecure = environment(every.get("kurrentdb", {})).get("KURRENTDB_INSECURE") == "true"
    if insecure != ("tls=false" in store.query.lower()):
        problems.append("kurrentdb: KURRENTDB_INSECURE and the URL's tls=false disagree")
    bucket = urlsplit(
        environment(every.get("attachments", {})).get("TICKETING_ATTACHMENTS_BLOB_URL", "")
    ).hostname
    creates = " ".join(str(word) for word in every.get("minio-init", {}).get("entrypoint") or [])
    if not bucket or f"mc mb --ignore-existing engine/{bucket}" not in creates:
        problems.append(f"minio-init: does not create the bucket {bucket}")
    return problems


# --- the real file passes every rule ---------------------------------------------------------

RULES = [
    image_problems,
    healthcheck_problems,
    depends_on_problems,
    process_problems,
    shared_value_problems,
    secret_problems,
    address_problems,
    published_port_problems,
    storage_problems,
    engine_problems,
]


def test_compose_runs_the_engines_the_relay_the_four_services_and_the_gateway(
    compose: Compose,
) -> None:
    assert set(ENGINES) <= set(services(compose))
    modules = {python_module(spec.get("command")) for spec in ours(compose).values()}
    assert modules == set(PROCESSES)


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.__name__)
def test_compose_file_follows_the_rule(
    compose: Compose, rule: Callable[[Compose], list[str]]
) -> None:
    assert rule(compose) == []


def test_compose_refuses_to_start_without_the_secrets(compose: Compose) -> None:
    with pytest.raises(MissingVariable, match="TICKETING_JWT_SECRET"):
        interpolate(raw_environment(services(compose)["tickets"])["TICKETING_JWT_SECRET"], {})


# --- each rule finds a broken copy -----------------------------------------------------------


def _set(path: str, value: Any) -> Callable[[Compose], None]:
    """Set `services.<a>.<b>...` to `value` in a copy (None deletes)."""

    def change(data: Compose) -> None:
        *parents, last = path.split(".")
        node = data["services"]
        for key in parents:
            node = node[key]
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value

    return change


BROKEN = [
    (image_problems, _set("kafka.image", "apache/kafka"), "kafka: image apache/kafka has no tag"),
    (image_problems, _set("mongo.image", "mongo:latest"), "is tagged latest"),
    (healthcheck_problems, _set("query.healthcheck", None), "query: no health check"),
    (healthcheck_problems, _set("minio.healthcheck", {"disable": True}), "minio: no health check"),
    (
        healthcheck_problems,
        _set("tickets.healthcheck", {"test": ["CMD", "true"]}),
        "tickets: its health check asks neither",
    ),
    (
        depends_on_problems,
        _set("gateway.depends_on.search", {"condition": "service_healthy"}),
        "gateway: depends on search, which is not a service",
    ),
    (
        depends_on_problems,
        _set("relay.depends_on", ["kafka"]),
        "relay: depends_on without conditions",
    ),
    (
        depends_on_problems,
        _set("kafka.depends_on", {"gateway": {"condition": "service_healthy"}}),
        "dependency cycle",
    ),
    (
        process_problems,
        _set("tickets.environment.TICKETING_TICKETS_PER_PAGE", "50"),
        "TICKETING_TICKETS_PER_PAGE is not a setting of ticketing_tickets",
    ),
    (
        process_problems,
        _set("query.environment.TICKETING_READ_MODEL_URL", None),
        "query: ticketing_query needs TICKETING_READ_MODEL_URL",
    ),
    (
        process_problems,
        _set("relay.environment.TICKETING_EVENT_STORE_URL", "sqlite:///data/events.db"),
        "is not a kurrentdb or esdb URL",
    ),
    (
        process_problems,
        _set("tickets.environment.TICKETING_EVENT_STORE_URL", "kurrentdb://kurrentdb:2113?tls=no"),
        "tickets: TICKETING_EVENT_STORE_URL is refused",
    ),
    (
        process_problems,
        _set("notifications.environment.TICKETING_MODE", "dev"),
        "notifications: TICKETING_MODE must be production",
    ),
    (
        process_problems,
        _set("relay.environment.TICKETING_KAFKA_PARTITIONS", "چند"),
        "RelaySettings refuses these settings",
    ),
    (
        process_problems,
        _set("attachments.command", ["python", "-m", "ticketing_attachment"]),
        "is not a process of ours",
    ),
    (
        shared_value_problems,
        _set("notifications.environment.TICKETING_KAFKA_BOOTSTRAP", "kafka:9094"),
        "TICKETING_KAFKA_BOOTSTRAP differs",
    ),
    (
        secret_problems,
        _set("tickets.environment.TICKETING_JWT_SECRET", "a-literal-secret-in-the-compose-file"),
        "tickets: TICKETING_JWT_SECRET must be",
    ),
    (
        secret_problems,
        _set("minio.environment.MINIO_ROOT_PASSWORD", "${TICKETING_S3_SECRET_KEY:-minioadmin}"),
        "minio: MINIO_ROOT_PASSWORD must be",
    ),
    (
        address_problems,
        _set("gateway.environment.TICKETING_GATEWAY_QUERY_URL", "http://query:8009"),
        "gateway: TICKETING_GATEWAY_QUERY_URL uses port 8009, query listens on 8002",
    ),
    (
        address_problems,
        _set("tickets.environment.TICKETING_ATTACHMENTS_URL", "http://uploads:8003"),
        "points at uploads, not a service",
    ),
    (
        address_problems,
        _set("relay.environment.TICKETING_KAFKA_BOOTSTRAP", "localhost:9092"),
        "Kafka does not advertise localhost:9092",
    ),
    (
        published_port_problems,
        _set("query.ports", ["127.0.0.1:8002:8002"]),
        "query: publishes",
    ),
    (
        published_port_problems,
        _set("gateway.ports", ["8000:8000"]),
        "gateway: port 8000:8000 is not bound to 127.0.0.1",
    ),
    (storage_problems, _set("notifications.volumes", None), "notifications: keeps data"),
    (storage_problems, _set("kafka.volumes", ["broker-logs:/var/lib/kafka/data"]), "not declared"),
    (
        engine_problems,
        _set("kafka.environment.KAFKA_PROCESS_ROLES", "broker"),
        "kafka: not one KRaft node",
    ),
    (
        engine_problems,
        _set("mongo.command", ["--replSet", "rs1", "--bind_ip_all"]),
        "--replSet differs",
    ),
    (
        engine_problems,
        _set("kurrentdb.environment.KURRENTDB_INSECURE", "false"),
        "KURRENTDB_INSECURE and the URL's tls=false disagree",
    ),
    (
        engine_problems,
        _set("attachments.environment.TICKETING_ATTACHMENTS_BLOB_URL", "s3://ticket-files"),
        "does not create the bucket ticket-files",
    ),
]


@pytest.mark.parametrize(
    ("rule", "change", "expected"),
    BROKEN,
    ids=[f"{rule.__name__}-{i}" for i, (rule, _, _) in enumerate(BROKEN)],
)
def test_each_rule_finds_a_broken_copy(
    compose: Compose,
    rule: Callable[[Compose], list[str]],
    change: Callable[[Compose], None],
    expected: str,
) -> None:
    problems = rule(broken(compose, change))
    assert any(expected in problem for problem in problems), problems


def test_every_rule_has_a_broken_copy() -> None:
    assert {rule for rule, _, _ in BROKEN} == set(RULES)
