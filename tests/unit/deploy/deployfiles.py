"""What the deploy tests share: where the files are, Compose-style `${...}` interpolation, and
which settings classes each process reads (imported, so a renamed or missing setting shows up).

No container engine runs where these files are written, so the tests check the files against
the code instead: every TICKETING_* variable a process is given must be a field of its
settings, and the values must pass those settings' own validation.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import inspect
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from unittest.mock import patch
from urllib.parse import urlsplit

import yaml
from pydantic import AliasChoices, ValidationError
from pydantic_settings import BaseSettings

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
COMPOSE_FILE = DEPLOY / "compose.yaml"
K8S_DIR = DEPLOY / "k8s"
DOCKERFILE = DEPLOY / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"

#: Values for the secrets Compose takes from the environment (long enough for production).
TEST_SECRETS: dict[str, str] = {
    "TICKETING_JWT_SECRET": "کلید-آزمایشی-برای-امضای-توکن-های-پشتیبانی-۱۴۰۳",
    "TICKETING_INTERNAL_TOKEN": "internal-token-of-the-attachments-service-for-tests",
    "TICKETING_S3_SECRET_KEY": "minio-secret-key-for-tests",
}

#: Settings the processes read besides their own class: TICKETING_HOST / TICKETING_PORT.
LISTEN_SETTINGS = "ticketing_web.serve:ListenSettings"


@dataclass(frozen=True)
class Process:
    """A `python -m <module>` process of ours: where its settings class is and what it needs."""

    module: str
    #: `module:Class` of its settings class.
    settings: str
    #: TICKETING_* names that must be given (with a value) for the distributed mode.
    required: tuple[str, ...]
    #: Whether it verifies end users' tokens (JwtSettings): then production mode is required.
    verifies_tokens: bool = True


_KAFKA = "TICKETING_KAFKA_BOOTSTRAP"
_ATTACHMENTS_CLIENT = ("TICKETING_ATTACHMENTS_URL", "TICKETING_INTERNAL_TOKEN")

PROCESSES: dict[str, Process] = {
    process.module: process
    for process in (
        Process(
            "ticketing_tickets",
            "ticketing_tickets.settings:TicketsSettings",
            ("TICKETING_EVENT_STORE_URL", *_ATTACHMENTS_CLIENT),
        ),
        Process(
            "ticketing_tickets.relay",
            "ticketing_tickets.relay:RelaySettings",
            ("TICKETING_EVENT_STORE_URL", _KAFKA),
            verifies_tokens=False,
        ),
        Process(
            "ticketing_query",
            "ticketing_query.settings:QuerySettings",
            (_KAFKA, "TICKETING_READ_MODEL_URL", *_ATTACHMENTS_CLIENT),
        ),
        Process(
            "ticketing_attachments",
            "ticketing_attachments.settings:AttachmentsSettings",
            (
                _KAFKA,
                "TICKETING_ATTACHMENTS_BLOB_URL",
                "TICKETING_S3_ENDPOINT",
                "TICKETING_S3_ACCESS_KEY",
                "TICKETING_S3_SECRET_KEY",
                "TICKETING_INTERNAL_TOKEN",
            ),
        ),
        Process(
            "ticketing_notifications",
            "ticketing_notifications.settings:NotificationsSettings",
            (_KAFKA,),
        ),
        Process(
            "ticketing_panel",
            "ticketing_panel.settings:PanelSettings",
            ("TICKETING_PANEL_API_URL",),
        ),
        Process(
            "ticketing.gateway",
            "ticketing.gateway:GatewaySettings",
            (
                "TICKETING_GATEWAY_TICKETS_URL",
                "TICKETING_GATEWAY_QUERY_URL",
                "TICKETING_GATEWAY_ATTACHMENTS_URL",
                "TICKETING_GATEWAY_NOTIFICATIONS_URL",
                "TICKETING_GATEWAY_PANEL_URL",
            ),
            verifies_tokens=False,
        ),
    )
}

#: The scheme each engine URL must have in the distributed mode.
URL_SCHEMES: dict[str, tuple[str, ...]] = {
    "TICKETING_EVENT_STORE_URL": ("kurrentdb", "esdb"),
    "TICKETING_READ_MODEL_URL": ("mongodb",),
    "TICKETING_ATTACHMENTS_BLOB_URL": ("s3",),
    "TICKETING_S3_ENDPOINT": ("http", "https"),
}

#: Processes whose data dir holds state that must outlive the container: idempotency records
#: (tickets), the relay's checkpoint, the attachment catalogue, the notifications outbox/ledger.
DURABLE_DATA = frozenset(
    {
        "ticketing_tickets",
        "ticketing_tickets.relay",
        "ticketing_attachments",
        "ticketing_notifications",
    }
)

#: URLs meant for people or outside services, not for reaching another container or pod.
PUBLIC_URL_SETTINGS = frozenset({"TICKETING_PANEL_BASE_URL", "TICKETING_JWT_JWKS_URL"})

#: Settings whose value is a secret: never written literally into a deploy file.
SECRET_SETTINGS = frozenset(
    {"TICKETING_JWT_SECRET", "TICKETING_INTERNAL_TOKEN", "TICKETING_S3_SECRET_KEY"}
)

#: One value across every process that has the setting (they must meet on the same engines).
SHARED_SETTINGS = (
    "TICKETING_EVENT_STORE_URL",
    "TICKETING_KAFKA_BOOTSTRAP",
    "TICKETING_KAFKA_TOPIC",
    "TICKETING_KAFKA_DEAD_LETTER_TOPIC",
    "TICKETING_KAFKA_PARTITIONS",
    "TICKETING_KAFKA_REPLICATION_FACTOR",
    "TICKETING_INTERNAL_TOKEN",
    "TICKETING_JWT_SECRET",
)


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def load_yaml_documents(path: Path) -> list[Any]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


# --- the command a container runs ------------------------------------------------------------


def python_module(command: Any) -> str | None:
    """`m` of a `python -m m` command (list or string form), else None."""
    words = command.split() if isinstance(command, str) else list(command or [])
    if len(words) >= 3 and words[0] in {"python", "python3"} and words[1] == "-m":
        return str(words[2])
    return None


# --- Compose interpolation -------------------------------------------------------------------

_INTERPOLATION = re.compile(
    r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
    r"|\$(?P<bare>[A-Za-z_][A-Za-z0-9_]*)"
)


class MissingVariable(Exception):
    """A `${NAME:?message}` whose NAME is unset: Compose refuses to start."""


def interpolate(value: str, environment: Mapping[str, str]) -> str:
    """Compose's `$$`, `$NAME`, `${NAME}`, `${NAME:-default}`, `${NAME-default}`,
    `${NAME:?error}` and `${NAME?error}` (no nesting, which compose.yaml does not use)."""

    def one(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group("name") or match.group("bare")
        op, arg = match.group("op"), match.group("arg") or ""
        current = environment.get(name)
        missing = current is None or (current == "" and op is not None and op.startswith(":"))
        if op in {":-", "-"} and missing:
            return arg
        if op in {":?", "?"} and missing:
            raise MissingVariable(f"{name}: {arg}")
        return current or ""

    return _INTERPOLATION.sub(one, value)


def required_variable(value: str) -> str | None:
    """NAME when `value` is exactly `${NAME:?message}` (or `${NAME?message}`), else None."""
    match = re.fullmatch(r"\$\{([A-Za-z_][A-Za-z0-9_]*):?\?[^}]*\}", value)
    return match.group(1) if match else None


# --- settings classes ------------------------------------------------------------------------


class SettingsNotFound(Exception):
    pass


def _import_class(spec: str) -> type[BaseSettings]:
    module_name, _, class_name = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise SettingsNotFound(f"cannot import {module_name}: {error}") from error
    found = getattr(module, class_name, None)
    if not (inspect.isclass(found) and issubclass(found, BaseSettings)):
        raise SettingsNotFound(f"{module_name} has no settings class {class_name}")
    return found


@cache
def settings_classes(module: str) -> tuple[type[BaseSettings], ...]:
    """The settings classes process `module` reads: its own and the listen settings."""
    process = PROCESSES.get(module)
    if process is None:
        raise SettingsNotFound(f"{module} is not a process of ours (deployfiles.PROCESSES)")
    return (_import_class(process.settings), _import_class(LISTEN_SETTINGS))


def env_names(settings: type[BaseSettings]) -> set[str]:
    """The environment variable names `settings` reads (upper case; pydantic-settings matches
    them case-insensitively unless the class says otherwise)."""
    prefix = str(settings.model_config.get("env_prefix", ""))
    names: set[str] = set()
    for name, field in settings.model_fields.items():
        alias = field.validation_alias or field.alias
        if isinstance(alias, str):
            names.add(alias.upper())
        elif isinstance(alias, AliasChoices):
            names.update(choice.upper() for choice in alias.choices if isinstance(choice, str))
        else:
            names.add(f"{prefix}{name}".upper())
    return names


def known_names(module: str) -> set[str]:
    return set().union(*(env_names(cls) for cls in settings_classes(module)))


def settings_problems(module: str, environment: Mapping[str, str], *, where: str) -> list[str]:
    """Why `environment` (a process's TICKETING_* variables) would not configure `module`:
    unknown names, values its settings refuse, engine settings missing, not production."""
    try:
        classes = settings_classes(module)
    except SettingsNotFound as error:
        return [f"{where}: {error}"]
    process = PROCESSES[module]
    given = {name: value for name, value in environment.items() if name.startswith("TICKETING_")}
    problems = [
        f"{where}: {name} is not a setting of {module} ({', '.join(c.__name__ for c in classes)})"
        for name in sorted(set(given) - known_names(module))
    ]
    for name in process.required:
        if not given.get(name):
            problems.append(f"{where}: {module} needs {name} in the distributed mode")
    for name, schemes in URL_SCHEMES.items():
        value = given.get(name)
        if value and urlsplit(value).scheme not in schemes:
            problems.append(f"{where}: {name}={value!r} is not a {' or '.join(schemes)} URL")
    if process.verifies_tokens and given.get("TICKETING_MODE") != "production":
        problems.append(f"{where}: TICKETING_MODE must be production")
    problems += _validation_problems(classes, given, where=where)
    if given.get("TICKETING_EVENT_STORE_URL"):
        problems += _event_store_problems(given["TICKETING_EVENT_STORE_URL"], where=where)
    return problems


def _event_store_problems(url: str, *, where: str) -> list[str]:
    """The URL as the processes open it: `open_event_store` parses it (its client checks the
    connection string) without connecting."""
    from ticketing_eventstore import open_event_store

    try:
        store = open_event_store(url)
    except ValueError as error:
        return [f"{where}: TICKETING_EVENT_STORE_URL is refused: {error}"]
    asyncio.run(store.close())
    return []


def _validation_problems(
    classes: tuple[type[BaseSettings], ...], given: Mapping[str, str], *, where: str
) -> list[str]:
    """Build each class as the process would, from an environment holding exactly `given` as
    its TICKETING_* variables (the test run's own are hidden; no .env file)."""
    outside = {k: v for k, v in os.environ.items() if not k.upper().startswith("TICKETING_")}
    problems = []
    with patch.dict(os.environ, {**outside, **given}, clear=True):
        for cls in classes:
            try:
                cls(_env_file=None)  # type: ignore[call-arg]
            except ValidationError as error:
                reasons = "; ".join(
                    f"{'.'.join(str(p) for p in e['loc']) or cls.__name__}: {e['msg']}"
                    for e in error.errors()
                )
                problems.append(f"{where}: {cls.__name__} refuses these settings: {reasons}")
    return problems


def module_exists(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


# --- URLs between processes ------------------------------------------------------------------


def http_targets(environment: Mapping[str, str]) -> list[tuple[str, str, int]]:
    """(setting, host, port) of every http(s) URL in `environment` by which one process
    reaches another (engines' and ours; public URLs left out)."""
    targets = []
    for name, value in environment.items():
        if name in PUBLIC_URL_SETTINGS:
            continue
        parts = urlsplit(value) if isinstance(value, str) else None
        if parts is None or parts.scheme not in {"http", "https"} or not parts.hostname:
            continue
        port = parts.port or (443 if parts.scheme == "https" else 80)
        targets.append((name, parts.hostname, port))
    return targets
