"""deploy/k8s/, checked without a cluster: manifests, kustomization, pinned images, probes,
resources, security context, one relay and one projector, and each Deployment's environment
(ConfigMaps + Secret keys + env) against its process's settings classes; ports agree with
compose.yaml and the URLs between services.

As in test_compose.py, every rule returns problems and has a test on a copy broken in memory.
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic import TypeAdapter, ValidationError

from .deployfiles import (
    COMPOSE_FILE,
    K8S_DIR,
    PROCESSES,
    SECRET_SETTINGS,
    SHARED_SETTINGS,
    TEST_SECRETS,
    http_targets,
    interpolate,
    load_yaml,
    load_yaml_documents,
    python_module,
    settings_classes,
    settings_problems,
)

NAMESPACE = "ticketing"
KUSTOMIZATION = "kustomization.yaml"
SECRET_TEMPLATE = "secret.template.yaml"
API_VERSIONS = {
    "Namespace": "v1",
    "ConfigMap": "v1",
    "Secret": "v1",
    "Service": "v1",
    "PersistentVolumeClaim": "v1",
    "Deployment": "apps/v1",
    "Ingress": "networking.k8s.io/v1",
}
#: Readiness path per process; the default is /readyz (the gateway's is explained in its file).
READINESS = {"ticketing.gateway": "/healthz"}
#: Written by a process of ours besides its data dir (temporary files, uploads in flight).
WRITABLE = ("/tmp",)
#: Come from the Secret only (secretKeyRef), never from a ConfigMap or a literal.
FROM_SECRET = SECRET_SETTINGS | {"TICKETING_S3_ACCESS_KEY"}


@dataclass
class Manifests:
    """Every document of deploy/k8s/ by file, and the kustomization."""

    files: dict[str, list[dict[str, Any]]]
    kustomization: dict[str, Any]
    docs: list[dict[str, Any]] = field(init=False)

    def __post_init__(self) -> None:
        self.docs = [doc for docs in self.files.values() for doc in docs]

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [doc for doc in self.docs if doc.get("kind") == kind]

    def named(self, kind: str, name: str) -> dict[str, Any] | None:
        return next((d for d in self.of(kind) if d["metadata"]["name"] == name), None)


@pytest.fixture(scope="module")
def manifests() -> Manifests:
    files = {
        path.name: load_yaml_documents(path)
        for path in sorted(K8S_DIR.glob("*.yaml"))
        if path.name != KUSTOMIZATION
    }
    return Manifests(files, load_yaml(K8S_DIR / KUSTOMIZATION))


def broken(manifests: Manifests, change: Callable[[Manifests], object]) -> Manifests:
    copied = Manifests(copy.deepcopy(manifests.files), copy.deepcopy(manifests.kustomization))
    change(copied)
    copied.__post_init__()
    return copied


# --- reading the manifests -------------------------------------------------------------------


def pod_spec(deployment: dict[str, Any]) -> dict[str, Any]:
    return dict(deployment["spec"]["template"]["spec"])


def containers(deployment: dict[str, Any]) -> Iterator[dict[str, Any]]:
    spec = pod_spec(deployment)
    yield from spec.get("initContainers") or []
    yield from spec.get("containers") or []


def name_of(doc: dict[str, Any]) -> str:
    return str(doc["metadata"]["name"])


def secret_value(key: str) -> str:
    """What a Secret key holds in the tests: the test secrets, else a readable stand-in."""
    return TEST_SECRETS.get(key, f"test-value-of-{key.lower().replace('_', '-')}")


def environment(
    manifests: Manifests, container: dict[str, Any], problems: list[str] | None = None
) -> dict[str, str]:
    """The container's variables as Kubernetes sets them (later sources win, env over
    envFrom); unresolvable references are added to `problems`."""
    problems = [] if problems is None else problems
    where = container.get("name", "?")
    env: dict[str, str] = {}
    for source in container.get("envFrom") or []:
        ref = source.get("configMapRef") or source.get("secretRef") or {}
        kind = "ConfigMap" if "configMapRef" in source else "Secret"
        found = manifests.named(kind, ref.get("name", ""))
        if found is None:
            problems.append(f"{where}: envFrom names {kind} {ref.get('name')}, which is missing")
            continue
        values = found.get("data") or found.get("stringData") or {}
        env.update({str(k): str(v) for k, v in values.items()})
    for item in container.get("env") or []:
        name = str(item["name"])
        if "value" in item:
            env[name] = str(item["value"])
            continue
        ref = (item.get("valueFrom") or {}).get("secretKeyRef") or {}
        secret = manifests.named("Secret", ref.get("name", ""))
        keys = (secret or {}).get("stringData") or (secret or {}).get("data") or {}
        if ref.get("key") not in keys:
            problems.append(
                f"{where}: {name} reads {ref.get('name')}/{ref.get('key')}: no such key"
            )
            continue
        env[name] = secret_value(str(ref["key"]))
    return env


def processes(manifests: Manifests) -> Iterator[tuple[dict[str, Any], dict[str, Any], str | None]]:
    """(deployment, container, `python -m` module) of every container of ours."""
    for deployment in manifests.of("Deployment"):
        for container in containers(deployment):
            yield deployment, container, python_module(container.get("command"))


def projects(env: dict[str, str]) -> bool:
    """Whether a query process with `env` runs the projector (the setting, else its default)."""
    (query_settings, _) = settings_classes("ticketing_query")
    default = query_settings.model_fields["query_projector"].default
    value = env.get("TICKETING_QUERY_PROJECTOR")
    try:
        return bool(default) if value is None else TypeAdapter(bool).validate_python(value)
    except ValidationError:
        return True  # unreadable: assume the worst, a second writer


def container_ports(container: dict[str, Any]) -> dict[str | int, int]:
    """Port name and number -> number."""
    ports: dict[str | int, int] = {}
    for port in container.get("ports") or []:
        number = int(port["containerPort"])
        ports[number] = number
        if "name" in port:
            ports[str(port["name"])] = number
    return ports


def matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def pods_of(manifests: Manifests, selector: dict[str, str]) -> list[dict[str, Any]]:
    return [
        d
        for d in manifests.of("Deployment")
        if matches(selector, d["spec"]["template"]["metadata"].get("labels") or {})
    ]


_QUANTITY = re.compile(r"^([0-9.]+)(m|Ki|Mi|Gi|Ti|k|M|G)?$")
_UNITS = {None: 1.0, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9}
_UNITS |= {"Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30, "Ti": 2.0**40}


def quantity(value: Any) -> float | None:
    match = _QUANTITY.match(str(value))
    return float(match.group(1)) * _UNITS[match.group(2)] if match else None


# --- rules -----------------------------------------------------------------------------------


def manifest_problems(manifests: Manifests) -> list[str]:
    problems = []
    seen: set[tuple[str, str]] = set()
    for file, docs in manifests.files.items():
        for doc in docs:
            kind, meta = doc.get("kind"), doc.get("metadata") or {}
            if kind not in API_VERSIONS:
                problems.append(f"{file}: unexpected kind {kind}")
            elif doc.get("apiVersion") != API_VERSIONS[kind]:
                problems.append(f"{file}: {kind} needs apiVersion {API_VERSIONS[kind]}")
            if not meta.get("name"):
                problems.append(f"{file}: a {kind} without a name")
            if meta.get("namespace") not in (None, NAMESPACE) or (
                kind == "Namespace" and meta.get("name") != NAMESPACE
            ):
                problems.append(f"{file}: {kind} {meta.get('name')} outside {NAMESPACE}")
            if (kind, meta.get("name")) in seen:
                problems.append(f"{file}: {kind} {meta.get('name')} defined twice")
            seen.add((str(kind), str(meta.get("name"))))
    return problems


def kustomization_problems(manifests: Manifests) -> list[str]:
    listed = list(manifests.kustomization.get("resources") or [])
    expected = set(manifests.files) - {SECRET_TEMPLATE}
    problems = [f"{KUSTOMIZATION}: does not list {name}" for name in sorted(expected - set(listed))]
    problems += [
        f"{KUSTOMIZATION}: lists {name}, not a manifest here"
        for name in listed
        if name not in manifests.files
    ]
    if SECRET_TEMPLATE in listed:
        problems.append(f"{KUSTOMIZATION}: applies {SECRET_TEMPLATE} and its placeholders")
    if manifests.kustomization.get("namespace") != NAMESPACE:
        problems.append(f"{KUSTOMIZATION}: namespace is not {NAMESPACE}")
    return problems


def image_problems(manifests: Manifests) -> list[str]:
    problems = []
    for deployment, container, _ in processes(manifests):
        image = str(container.get("image", ""))
        reference = image.partition("@")[0].rsplit("/", 1)[-1]
        tag = reference.partition(":")[2]
        if ("@" not in image and not tag) or tag == "latest":
            problems.append(f"{name_of(deployment)}: image {image!r} is not pinned")
    for override in manifests.kustomization.get("images") or []:
        if str(override.get("newTag", "")) in ("", "latest") and "digest" not in override:
            problems.append(f"{KUSTOMIZATION}: image {override.get('name')} is not pinned")
    return problems


def probe_problems(manifests: Manifests) -> list[str]:
    problems = []
    for deployment, container, module in processes(manifests):
        where = name_of(deployment)
        ports = container_ports(container)
        expected = {
            "livenessProbe": "/healthz",
            "readinessProbe": READINESS.get(module or "", "/readyz"),
        }
        for probe, path in expected.items():
            get = (container.get(probe) or {}).get("httpGet") or {}
            if get.get("path") != path:
                problems.append(f"{where}: {probe} must GET {path}, not {get.get('path')}")
            elif get.get("port") not in ports:
                problems.append(f"{where}: {probe} port {get.get('port')} is not a container port")
    return problems


def resource_problems(manifests: Manifests) -> list[str]:
    problems = []
    for deployment, container, _ in processes(manifests):
        resources = container.get("resources") or {}
        for kind in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                if quantity((resources.get(kind) or {}).get(resource)) is None:
                    problems.append(f"{name_of(deployment)}: no {kind}.{resource}")
        for resource in ("cpu", "memory"):
            low = quantity((resources.get("requests") or {}).get(resource))
            high = quantity((resources.get("limits") or {}).get(resource))
            if low is not None and high is not None and low > high:
                problems.append(f"{name_of(deployment)}: {resource} request above its limit")
    return problems


def security_problems(manifests: Manifests) -> list[str]:
    problems = []
    claims = {name_of(claim) for claim in manifests.of("PersistentVolumeClaim")}
    for deployment, container, _ in processes(manifests):
        where, pod = name_of(deployment), pod_spec(deployment)
        pod_context = pod.get("securityContext") or {}
        if pod_context.get("runAsNonRoot") is not True or pod_context.get("runAsUser") in (0, None):
            problems.append(f"{where}: the pod may run as root")
        if (pod_context.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
            problems.append(f"{where}: no RuntimeDefault seccomp profile")
        if pod.get("automountServiceAccountToken") is not False:
            problems.append(f"{where}: mounts a service account token it does not use")
        context = container.get("securityContext") or {}
        if context.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{where}: the root filesystem is writable")
        if context.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{where}: privilege escalation is allowed")
        if "ALL" not in ((context.get("capabilities") or {}).get("drop") or []):
            problems.append(f"{where}: capabilities are not all dropped")
        volumes = {v["name"]: v for v in pod.get("volumes") or []}
        mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts") or []}
        for path, volume in mounts.items():
            if volume not in volumes:
                problems.append(f"{where}: mounts {volume} at {path}, no such volume")
        data_dir = environment(manifests, container).get("TICKETING_DATA_DIR")
        for path in (*WRITABLE, *([data_dir] if data_dir else [])):
            if path not in mounts:
                problems.append(f"{where}: {path} is written but not a mounted volume")
        for volume in volumes.values():
            claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
            if claim is not None and claim not in claims:
                problems.append(f"{where}: claim {claim} is not defined")
    return problems


def singleton_problems(manifests: Manifests) -> list[str]:
    """One relay, one projector, one pod per ReadWriteOnce claim: replicas 1 and Recreate."""
    problems = []
    singles: dict[str, str] = {}
    projectors = []
    for deployment, container, module in processes(manifests):
        where = name_of(deployment)
        if module == "ticketing_tickets.relay":
            singles[where] = "the relay"
        if module == "ticketing_query" and projects(environment(manifests, container)):
            singles[where] = "the query projector"
            projectors.append(where)
        if any("persistentVolumeClaim" in v for v in pod_spec(deployment).get("volumes") or []):
            singles.setdefault(where, "a ReadWriteOnce volume")
    if len(projectors) != 1:
        problems.append(f"exactly one Deployment must run the query projector, not {projectors}")
    relays = [d for d, _, m in processes(manifests) if m == "ticketing_tickets.relay"]
    if len(relays) != 1:
        problems.append(f"exactly one relay Deployment, not {len(relays)}")
    for deployment in manifests.of("Deployment"):
        why = singles.get(name_of(deployment))
        spec = deployment["spec"]
        if why and (
            spec.get("replicas") != 1 or (spec.get("strategy") or {}).get("type") != "Recreate"
        ):
            problems.append(f"{name_of(deployment)}: runs {why}: needs replicas 1 and Recreate")
    return problems


def env_problems(manifests: Manifests) -> list[str]:
    problems: list[str] = []
    for deployment, container, module in processes(manifests):
        where = name_of(deployment)
        if module not in PROCESSES:
            problems.append(f"{where}: command {container.get('command')} is not a process of ours")
            continue
        env = environment(manifests, container, problems)
        problems += settings_problems(module, env, where=where)
        literal = {item["name"] for item in container.get("env") or [] if "value" in item}
        for source in container.get("envFrom") or []:
            name = (source.get("configMapRef") or {}).get("name")
            literal |= set((manifests.named("ConfigMap", name or "") or {}).get("data") or {})
        for name in sorted(literal & FROM_SECRET):
            problems.append(f"{where}: {name} is written in a manifest, not read from the Secret")
        port = env.get("TICKETING_PORT")
        if port is None or int(port) not in container_ports(container).values():
            problems.append(f"{where}: TICKETING_PORT {port} is not its container port")
    return problems


def shared_value_problems(manifests: Manifests) -> list[str]:
    problems = []
    envs = {name_of(d): environment(manifests, c) for d, c, _ in processes(manifests)}
    for setting in SHARED_SETTINGS:
        values = {where: env[setting] for where, env in envs.items() if setting in env}
        if len(set(values.values())) > 1:
            problems.append(f"{setting} differs between Deployments: {values}")
    return problems


def service_problems(manifests: Manifests) -> list[str]:
    problems = []
    for service in manifests.of("Service"):
        where = f"Service {name_of(service)}"
        pods = pods_of(manifests, service["spec"].get("selector") or {})
        if not pods:
            problems.append(f"{where}: its selector matches no Deployment")
        for port in service["spec"].get("ports") or []:
            target = port.get("targetPort", port.get("port"))
            for deployment in pods:
                numbers = {
                    container_ports(c).get(target) for c in pod_spec(deployment)["containers"]
                } - {None}
                if not numbers:
                    problems.append(f"{where}: {name_of(deployment)} has no port {target}")
                elif int(port["port"]) not in numbers:
                    theirs = f"{name_of(deployment)}'s {numbers}"
                    problems.append(f"{where}: port {port['port']} differs from {theirs}")
    return problems


def address_problems(manifests: Manifests) -> list[str]:
    """http URLs to a short host name reach a Service of this namespace on one of its ports."""
    problems = []
    services = {
        name_of(s): {int(p["port"]) for p in s["spec"]["ports"]} for s in manifests.of("Service")
    }
    for deployment, container, _ in processes(manifests):
        for setting, host, port in http_targets(environment(manifests, container)):
            if "." in host:
                continue  # an engine outside this namespace (configmap.yaml documents them)
            if host not in services:
                problems.append(f"{name_of(deployment)}: {setting} points at {host}, no Service")
            elif port not in services[host]:
                has = f"{host} has {services[host]}"
                problems.append(f"{name_of(deployment)}: {setting} uses port {port}, {has}")
    return problems


def ingress_problems(manifests: Manifests) -> list[str]:
    problems = []
    link_hosts = {
        urlsplit(env["TICKETING_PANEL_BASE_URL"]).hostname
        for _, c, _ in processes(manifests)
        if "TICKETING_PANEL_BASE_URL" in (env := environment(manifests, c))
    }
    ingresses = manifests.of("Ingress")
    if not ingresses:
        problems.append("no Ingress")
    for ingress in ingresses:
        spec = ingress["spec"]
        tls_hosts = {h for tls in spec.get("tls") or [] for h in tls.get("hosts") or []}
        for rule in spec.get("rules") or []:
            if rule.get("host") not in link_hosts:
                problems.append(f"Ingress: host {rule.get('host')} is not the links' {link_hosts}")
            if rule.get("host") not in tls_hosts:
                problems.append(f"Ingress: host {rule.get('host')} has no TLS")
            for path in (rule.get("http") or {}).get("paths") or []:
                backend = path["backend"]["service"]
                service = manifests.named("Service", backend["name"])
                ports = backend.get("port") or {}
                names = {p.get("name") for p in (service or {}).get("spec", {}).get("ports", [])}
                numbers = {p.get("port") for p in (service or {}).get("spec", {}).get("ports", [])}
                if service is None:
                    problems.append(f"Ingress: backend {backend['name']} is not a Service")
                elif ports.get("name") not in names and ports.get("number") not in numbers:
                    problems.append(f"Ingress: {backend['name']} has no port {ports}")
    return problems


def secret_template_problems(manifests: Manifests) -> list[str]:
    problems = []
    secrets = manifests.files.get(SECRET_TEMPLATE) or []
    if len(secrets) != 1 or secrets[0].get("kind") != "Secret":
        return [f"{SECRET_TEMPLATE}: must hold the one Secret"]
    for key, value in (secrets[0].get("stringData") or {}).items():
        if "REPLACE-ME" not in str(value):
            problems.append(f"{SECRET_TEMPLATE}: {key} holds a value, not a REPLACE-ME placeholder")
    if secrets[0].get("data"):
        problems.append(f"{SECRET_TEMPLATE}: base64 data hides what it holds; use stringData")
    return problems


def compose_parity_problems(manifests: Manifests) -> list[str]:
    """Each process listens on the same port in compose.yaml and in its Deployment."""
    compose_ports = {}
    for spec in (load_yaml(COMPOSE_FILE).get("services") or {}).values():
        module = python_module(spec.get("command"))
        if module:
            compose_ports[module] = interpolate(
                str((spec.get("environment") or {}).get("TICKETING_PORT")), {}
            )
    problems = []
    for deployment, container, module in processes(manifests):
        port = environment(manifests, container).get("TICKETING_PORT")
        if module in compose_ports and port != compose_ports[module]:
            theirs = f"compose.yaml gives {module} {compose_ports[module]}"
            problems.append(f"{name_of(deployment)}: port {port}, {theirs}")
    return problems


RULES = [
    manifest_problems,
    kustomization_problems,
    image_problems,
    probe_problems,
    resource_problems,
    security_problems,
    singleton_problems,
    env_problems,
    shared_value_problems,
    service_problems,
    address_problems,
    ingress_problems,
    secret_template_problems,
    compose_parity_problems,
]


def test_the_manifests_deploy_every_process_of_ours(manifests: Manifests) -> None:
    modules = {module for _, _, module in processes(manifests)}
    assert modules == set(PROCESSES)


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.__name__)
def test_manifests_follow_the_rule(
    manifests: Manifests, rule: Callable[[Manifests], list[str]]
) -> None:
    assert rule(manifests) == []


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kustomize_builds_every_manifest_but_the_secret_template(manifests: Manifests) -> None:
    built = subprocess.run(
        ["kubectl", "kustomize", str(K8S_DIR)], capture_output=True, text=True, check=True
    )
    docs = [d for d in yaml.safe_load_all(built.stdout) if d]
    expected = {
        (d["kind"], name_of(d))
        for file, ds in manifests.files.items()
        if file != SECRET_TEMPLATE
        for d in ds
    }
    assert {(d["kind"], name_of(d)) for d in docs} == expected
    assert {d["metadata"].get("namespace") for d in docs if d["kind"] != "Namespace"} == {NAMESPACE}


# --- each rule finds a broken copy -----------------------------------------------------------


def _doc(file: str, kind: str, name: str) -> Callable[[Manifests], dict[str, Any]]:
    def find(m: Manifests) -> dict[str, Any]:
        return next(d for d in m.files[file] if d["kind"] == kind and name_of(d) == name)

    return find


def _container(file: str, name: str) -> Callable[[Manifests], dict[str, Any]]:
    def find(m: Manifests) -> dict[str, Any]:
        return pod_spec(_doc(file, "Deployment", name)(m))["containers"][0]

    return find


def _edit(
    find: Callable[[Manifests], dict[str, Any]], path: str, value: Any
) -> Callable[[Manifests], None]:
    """Set `a.b.c` under the found document (None deletes)."""

    def change(m: Manifests) -> None:
        node = find(m)
        *parents, last = path.split(".")
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value

    return change


def _set_env(file: str, name: str, variable: str, value: str | None) -> Callable[[Manifests], None]:
    def change(m: Manifests) -> None:
        container = _container(file, name)(m)
        env = [e for e in container.get("env") or [] if e["name"] != variable]
        container["env"] = env + ([{"name": variable, "value": value}] if value is not None else [])

    return change


def _pod(file: str, name: str) -> Callable[[Manifests], dict[str, Any]]:
    return lambda m: pod_spec(_doc(file, "Deployment", name)(m))


TICKETS = _container("tickets.yaml", "tickets")
COMMON = _doc("configmap.yaml", "ConfigMap", "ticketing-common")
KAFKA = _doc("configmap.yaml", "ConfigMap", "ticketing-kafka")

BROKEN: list[tuple[Callable[[Manifests], list[str]], Callable[[Manifests], None], str]] = [
    (
        manifest_problems,
        _edit(_doc("gateway.yaml", "Deployment", "gateway"), "apiVersion", "extensions/v1beta1"),
        "Deployment needs apiVersion apps/v1",
    ),
    (
        kustomization_problems,
        lambda m: m.kustomization["resources"].remove("ingress.yaml"),
        "does not list ingress.yaml",
    ),
    (
        kustomization_problems,
        lambda m: m.kustomization["resources"].append(SECRET_TEMPLATE),
        "applies secret.template.yaml",
    ),
    (
        image_problems,
        _edit(TICKETS, "image", "ticketing:latest"),
        "tickets: image 'ticketing:latest'",
    ),
    (image_problems, _edit(TICKETS, "image", "ticketing"), "is not pinned"),
    (
        probe_problems,
        _edit(TICKETS, "readinessProbe", None),
        "tickets: readinessProbe must GET /readyz",
    ),
    (
        probe_problems,
        _edit(TICKETS, "livenessProbe.httpGet.port", "metrics"),
        "livenessProbe port metrics is not a container port",
    ),
    (resource_problems, _edit(TICKETS, "resources.requests", None), "tickets: no requests.cpu"),
    (
        resource_problems,
        _edit(TICKETS, "resources.requests.memory", "2Gi"),
        "tickets: memory request above its limit",
    ),
    (
        security_problems,
        _edit(TICKETS, "securityContext.readOnlyRootFilesystem", False),
        "tickets: the root filesystem is writable",
    ),
    (
        security_problems,
        _edit(_pod("query.yaml", "query-api"), "securityContext.runAsNonRoot", None),
        "query-api: the pod may run as root",
    ),
    (
        security_problems,
        _edit(TICKETS, "volumeMounts", [{"name": "data", "mountPath": "/data"}]),
        "tickets: /tmp is written but not a mounted volume",
    ),
    (
        security_problems,
        _set_env("tickets.yaml", "tickets", "TICKETING_DATA_DIR", "/var/lib/ticketing"),
        "tickets: /var/lib/ticketing is written but not a mounted volume",
    ),
    (
        singleton_problems,
        _edit(_doc("relay.yaml", "Deployment", "relay"), "spec.replicas", 2),
        "relay: runs the relay: needs replicas 1 and Recreate",
    ),
    (
        singleton_problems,
        _set_env("query.yaml", "query-api", "TICKETING_QUERY_PROJECTOR", "on"),
        "exactly one Deployment must run the query projector",
    ),
    (
        singleton_problems,
        _set_env("query.yaml", "query-api", "TICKETING_QUERY_PROJECTOR", None),
        "exactly one Deployment must run the query projector",
    ),
    (
        singleton_problems,
        _edit(
            _doc("attachments.yaml", "Deployment", "attachments"),
            "spec.strategy.type",
            "RollingUpdate",
        ),
        "attachments: runs a ReadWriteOnce volume",
    ),
    (
        env_problems,
        _set_env("notifications.yaml", "notifications", "TICKETING_NOTIFICATION_DELAY", "5"),
        "TICKETING_NOTIFICATION_DELAY is not a setting of ticketing_notifications",
    ),
    (
        env_problems,
        _edit(COMMON, "data.TICKETING_JWT_SECRET", "a-literal-secret-written-into-a-configmap"),
        "TICKETING_JWT_SECRET is written in a manifest",
    ),
    (
        env_problems,
        _edit(
            _doc("configmap.yaml", "ConfigMap", "ticketing-query"),
            "metadata.name",
            "ticketing-read-model",
        ),
        "envFrom names ConfigMap ticketing-query, which is missing",
    ),
    (
        env_problems,
        lambda m: m.files[SECRET_TEMPLATE][0]["stringData"].pop("TICKETING_INTERNAL_TOKEN"),
        "reads ticketing-secrets/TICKETING_INTERNAL_TOKEN: no such key",
    ),
    (
        env_problems,
        _edit(_doc("configmap.yaml", "ConfigMap", "ticketing-auth"), "data.TICKETING_MODE", "dev"),
        "TICKETING_MODE must be production",
    ),
    (
        env_problems,
        _edit(KAFKA, "data.TICKETING_KAFKA_BOOTSTRAP", None),
        "ticketing_tickets.relay needs TICKETING_KAFKA_BOOTSTRAP",
    ),
    (
        env_problems,
        _edit(
            _doc("configmap.yaml", "ConfigMap", "ticketing-event-store"),
            "data.TICKETING_EVENT_STORE_URL",
            "kurrentdb://kurrentdb.ticketing-engines.svc.cluster.local:2113?tls=no",
        ),
        "relay: TICKETING_EVENT_STORE_URL is refused",
    ),
    (
        env_problems,
        _set_env("tickets.yaml", "tickets", "TICKETING_PORT", "8080"),
        "tickets: TICKETING_PORT 8080 is not its container port",
    ),
    (
        shared_value_problems,
        _set_env("relay.yaml", "relay", "TICKETING_KAFKA_TOPIC", "tickets.events.v2"),
        "TICKETING_KAFKA_TOPIC differs",
    ),
    (
        service_problems,
        _edit(
            _doc("query.yaml", "Service", "query"),
            "spec.selector",
            {"app.kubernetes.io/name": "queries"},
        ),
        "Service query: its selector matches no Deployment",
    ),
    (
        service_problems,
        _edit(
            _doc("tickets.yaml", "Service", "tickets"),
            "spec.ports",
            [{"name": "http", "port": 80, "targetPort": "http"}],
        ),
        "Service tickets: port 80 differs",
    ),
    (
        address_problems,
        _edit(
            _doc("configmap.yaml", "ConfigMap", "ticketing-gateway"),
            "data.TICKETING_GATEWAY_QUERY_URL",
            "http://query:8009",
        ),
        "gateway: TICKETING_GATEWAY_QUERY_URL uses port 8009",
    ),
    (
        address_problems,
        _edit(
            _doc("configmap.yaml", "ConfigMap", "ticketing-attachments-client"),
            "data.TICKETING_ATTACHMENTS_URL",
            "http://uploads:8003",
        ),
        "points at uploads, no Service",
    ),
    (
        ingress_problems,
        _edit(
            _doc("ingress.yaml", "Ingress", "ticketing"),
            "spec.rules.0.http.paths.0.backend.service.name",
            "api",
        ),
        "Ingress: backend api is not a Service",
    ),
    (
        ingress_problems,
        _edit(
            _doc("configmap.yaml", "ConfigMap", "ticketing-notifications"),
            "data.TICKETING_PANEL_BASE_URL",
            "https://help.example.com",
        ),
        "is not the links'",
    ),
    (
        secret_template_problems,
        lambda m: m.files[SECRET_TEMPLATE][0]["stringData"].update(
            TICKETING_S3_SECRET_KEY="s3cr3t-k3y-0f-th3-bucket"
        ),
        "TICKETING_S3_SECRET_KEY holds a value",
    ),
    (
        compose_parity_problems,
        lambda m: [
            _set_env("notifications.yaml", "notifications", "TICKETING_PORT", "8014")(m),
            _edit(
                _container("notifications.yaml", "notifications"),
                "ports",
                [{"name": "http", "containerPort": 8014}],
            )(m),
        ],
        "notifications: port 8014, compose.yaml gives ticketing_notifications 8004",
    ),
]


@pytest.mark.parametrize(
    ("rule", "change", "expected"),
    BROKEN,
    ids=[f"{rule.__name__}-{i}" for i, (rule, _, _) in enumerate(BROKEN)],
)
def test_each_rule_finds_a_broken_copy(
    manifests: Manifests,
    rule: Callable[[Manifests], list[str]],
    change: Callable[[Manifests], None],
    expected: str,
) -> None:
    problems = rule(broken(manifests, change))
    assert any(expected in problem for problem in problems), problems


def test_every_rule_has_a_broken_copy() -> None:
    assert {rule for rule, _, _ in BROKEN} == set(RULES)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kustomize_fails_on_a_kustomization_listing_a_missing_file(tmp_path: Any) -> None:
    for path in K8S_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "ingress.yaml").unlink()
    built = subprocess.run(["kubectl", "kustomize", str(tmp_path)], capture_output=True, text=True)
    assert built.returncode != 0
    assert "ingress.yaml" in built.stderr
