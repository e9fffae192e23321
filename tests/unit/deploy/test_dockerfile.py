"""deploy/Dockerfile and .dockerignore, checked without building: pinned bases, a non-root user
matching the Kubernetes pods, plain installs held by constraints.txt, a build context that holds
what COPY needs and leaves out secrets and caches; and the health-check script, run for real.
"""

from __future__ import annotations

import http.server
import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.ports import refusing_port

from .deployfiles import (
    COMPOSE_FILE,
    DEPLOY,
    DOCKERFILE,
    DOCKERIGNORE,
    K8S_DIR,
    PROCESSES,
    ROOT,
    load_yaml,
    load_yaml_documents,
    python_module,
)


@dataclass(frozen=True)
class BuildFiles:
    dockerfile: str
    dockerignore: str


@pytest.fixture(scope="module")
def files() -> BuildFiles:
    return BuildFiles(DOCKERFILE.read_text(encoding="utf-8"), DOCKERIGNORE.read_text("utf-8"))


def instructions(dockerfile: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", dockerfile)
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def final_stage(dockerfile: str) -> list[tuple[str, str]]:
    steps = instructions(dockerfile)
    last = max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM")
    return steps[last:]


# --- .dockerignore, as Docker reads it ---------------------------------------------------------


def _pattern(text: str) -> re.Pattern[str]:
    text = text.strip().strip("/")
    parts = re.split(r"(\*\*|\*|\?)", text)
    wildcards = {"**": ".*", "*": "[^/]*", "?": "[^/]"}
    return re.compile("".join(wildcards.get(part, re.escape(part)) for part in parts))


def ignored(dockerignore: str, path: str) -> bool:
    """Whether `path` stays out of the build context: the last pattern matching it or one of
    its parent directories decides, `!` re-includes."""
    verdict = False
    prefixes = ["/".join(path.split("/")[: i + 1]) for i in range(path.count("/") + 1)]
    for line in dockerignore.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        include = line.startswith("!")
        pattern = _pattern(line.removeprefix("!"))
        if any(pattern.fullmatch(prefix) for prefix in prefixes):
            verdict = not include
    return verdict


def _sources(path: Path) -> Iterator[str]:
    """The files under a COPY source that the build needs (caches and bytecode left aside)."""
    if path.is_file():
        yield path.relative_to(ROOT).as_posix()
        return
    for file in sorted(path.rglob("*")):
        relative = file.relative_to(ROOT).as_posix()
        if file.is_file() and not re.search(r"__pycache__|\.egg-info|_cache/|\.pyc$", relative):
            yield relative


# --- rules -----------------------------------------------------------------------------------


def base_image_problems(files: BuildFiles) -> list[str]:
    problems = []
    for keyword, rest in instructions(files.dockerfile):
        if keyword != "FROM":
            continue
        image = rest.split()[0]
        tag = image.partition("@")[0].rsplit("/", 1)[-1].partition(":")[2]
        if ("@" not in image and not tag) or tag == "latest":
            problems.append(f"FROM {image} is not pinned")
    return problems


def user_problems(files: BuildFiles) -> list[str]:
    """The final stage runs as the uid/gid the Kubernetes pods ask for, never root."""
    users = [rest for keyword, rest in final_stage(files.dockerfile) if keyword == "USER"]
    if not users or users[-1].split(":")[0] in {"root", "0"}:
        return ["the image runs as root"]
    uid, _, gid = users[-1].partition(":")
    problems = []
    for path in sorted(K8S_DIR.glob("*.yaml")):
        for doc in load_yaml_documents(path):
            if doc.get("kind") != "Deployment":
                continue
            context = doc["spec"]["template"]["spec"].get("securityContext") or {}
            if str(context.get("runAsUser")) != uid or (
                gid and str(context.get("runAsGroup")) != gid
            ):
                problems.append(f"{doc['metadata']['name']}: runs as another user than the image")
    return problems


def install_problems(files: BuildFiles) -> list[str]:
    runs = [rest for keyword, rest in instructions(files.dockerfile) if keyword == "RUN"]
    installs = [run for run in runs if "pip install" in run]
    problems = []
    if not any(
        "-c constraints.txt" in run and "./contracts ./libs/* ./services/* ." in run
        for run in installs
    ):
        problems.append("no `pip install -c constraints.txt ./contracts ./libs/* ./services/* .`")
    for run in installs:
        if re.search(r"(^|\s)(-e|--editable)(\s|=)", run):
            problems.append(f"an editable install: {run}")
    if re.search(r"uv\.lock|--(extra-)?index-url|https?://", files.dockerfile):
        problems.append("names a lock file or a package index: installs must use constraints.txt")
    return problems


def context_problems(files: BuildFiles) -> list[str]:
    """COPY finds its files in the build context; secrets and local state stay out of it."""
    problems = []
    for keyword, rest in instructions(files.dockerfile):
        if keyword != "COPY" or "--from=" in rest:
            continue
        *sources, _ = [word for word in rest.split() if not word.startswith("--")]
        for source in sources:
            path = ROOT / source
            if not path.exists():
                problems.append(f"COPY {source}: no such file")
                continue
            left_out = [f for f in _sources(path) if ignored(files.dockerignore, f)]
            if left_out:
                problems.append(f"COPY {source}: .dockerignore leaves out {left_out[:3]}")
    for private in (".git/config", ".venv/bin/python", "var/engines/env", "deploy/.env"):
        if not ignored(files.dockerignore, private):
            problems.append(f".dockerignore lets {private} into the build context")
    return problems


def command_problems(files: BuildFiles) -> list[str]:
    """The default command and every health check of compose.yaml exist in the image."""
    problems = []
    commands = [rest for keyword, rest in final_stage(files.dockerfile) if keyword == "CMD"]
    if not commands or python_module(re.findall(r'"([^"]+)"', commands[-1])) not in PROCESSES:
        problems.append(f"CMD {commands[-1:] or 'missing'} is not a process of ours")
    installed = {
        rest.split()[-1].rsplit("/", 1)[-1]
        for keyword, rest in final_stage(files.dockerfile)
        if keyword == "COPY"
    }
    for name, spec in (load_yaml(COMPOSE_FILE).get("services") or {}).items():
        test = (spec.get("healthcheck") or {}).get("test") or []
        runs = test[1] if "build" in spec and isinstance(test, list) and test[0] == "CMD" else None
        if runs is not None and runs not in installed | {"python", "python3"}:
            problems.append(f"compose {name}: health check runs {runs}, not in the image")
    return problems


RULES = [base_image_problems, user_problems, install_problems, context_problems, command_problems]


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.__name__)
def test_build_files_follow_the_rule(
    files: BuildFiles, rule: Callable[[BuildFiles], list[str]]
) -> None:
    assert rule(files) == []


def _dockerfile(old: str, new: str) -> Callable[[BuildFiles], BuildFiles]:
    def change(files: BuildFiles) -> BuildFiles:
        assert old in files.dockerfile
        return BuildFiles(files.dockerfile.replace(old, new), files.dockerignore)

    return change


def _dockerignore(old: str, new: str) -> Callable[[BuildFiles], BuildFiles]:
    def change(files: BuildFiles) -> BuildFiles:
        assert old in files.dockerignore
        return BuildFiles(files.dockerfile, files.dockerignore.replace(old, new))

    return change


BROKEN = [
    (
        base_image_problems,
        _dockerfile("FROM python:3.11-slim AS build", "FROM python AS build"),
        "not pinned",
    ),
    (user_problems, _dockerfile("USER 10001:10001", "USER root"), "runs as root"),
    (user_problems, _dockerfile("USER 10001:10001", "USER 10002:10002"), "another user"),
    (install_problems, _dockerfile("-c constraints.txt ", ""), "no `pip install"),
    (
        install_problems,
        _dockerfile("./contracts ./libs/*", "-e ./contracts ./libs/*"),
        "an editable install",
    ),
    (context_problems, _dockerignore("!libs/\n", ""), "COPY libs: .dockerignore leaves out"),
    (context_problems, _dockerignore("**\n", ""), "lets .git/config into the build context"),
    (
        command_problems,
        _dockerfile(
            'CMD ["python", "-m", "ticketing.gateway"]', 'CMD ["python", "-m", "http.server"]'
        ),
        "is not a process of ours",
    ),
    (
        command_problems,
        _dockerfile("/usr/local/bin/ticketing-healthcheck", "/usr/local/bin/healthcheck"),
        "runs ticketing-healthcheck, not in the image",
    ),
]


@pytest.mark.parametrize(
    ("rule", "change", "expected"),
    BROKEN,
    ids=[f"{rule.__name__}-{i}" for i, (rule, _, _) in enumerate(BROKEN)],
)
def test_each_rule_finds_a_broken_copy(
    files: BuildFiles,
    rule: Callable[[BuildFiles], list[str]],
    change: Callable[[BuildFiles], BuildFiles],
    expected: str,
) -> None:
    problems = rule(change(files))
    assert any(expected in problem for problem in problems), problems


def test_every_rule_has_a_broken_copy() -> None:
    assert {rule for rule, _, _ in BROKEN} == set(RULES)


# --- the health-check script, run against a real socket ---------------------------------------


class _Ops(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status = {"/healthz": 200, "/readyz": 503}.get(self.path, 404)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def ops_port() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Ops)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def healthcheck(port: int, *args: str) -> int:
    env = {**os.environ, "TICKETING_PORT": str(port)}
    script = DEPLOY / "healthcheck.py"
    return subprocess.run([sys.executable, str(script), *args], env=env, check=False).returncode


def test_the_health_check_passes_on_2xx_and_fails_on_503(ops_port: int) -> None:
    assert healthcheck(ops_port, "/healthz") == 0
    assert healthcheck(ops_port, "/readyz") == 1
    assert healthcheck(ops_port) == 1  # /readyz by default


def test_the_health_check_fails_when_nothing_listens() -> None:
    assert healthcheck(refusing_port(), "/healthz") == 1
