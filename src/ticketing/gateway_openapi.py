"""One OpenAPI document for the gateway's URL, merged from the four services' own.

Each operation is taken from the service the routing table sends it to (so what the document
says is what answers); ops endpoints are the gateway's own. Component names two services use
for different things are kept apart by prefixing the later one with its service's name.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from ticketing.gateway_routes import Routed, Upstream, route

_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
_PARAMETER = re.compile(r"\{[^}/]+\}")
_OPS_PATHS = ("/healthz", "/readyz", "/metrics")


def merge_openapi(documents: Mapping[Upstream, Mapping[str, Any]]) -> dict[str, Any]:
    """The public document of the gateway from each upstream's `/openapi.json`."""
    paths: dict[str, dict[str, Any]] = {}
    components: dict[str, dict[str, Any]] = {}
    openapi_version = "3.1.0"
    for upstream, original in documents.items():
        document = copy.deepcopy(dict(original))
        openapi_version = str(document.get("openapi", openapi_version))
        _keep_components_apart(upstream, document, components)
        for path, item in document.get("paths", {}).items():
            concrete = _PARAMETER.sub("x", path)
            for method, operation in item.items():
                if method not in _METHODS:
                    continue
                routed = route(method.upper(), concrete)
                ours = isinstance(routed, Routed) and routed.upstream is upstream
                # The gateway has ops endpoints of its own; describe them once.
                ops = path in _OPS_PATHS and upstream is Upstream.TICKETS
                if ours or ops:
                    paths.setdefault(path, {})[method] = operation
    return {
        "openapi": openapi_version,
        "info": {
            "title": "Ticketing",
            "version": "1",
            "description": "The public API of every service, behind one gateway.",
        },
        "paths": dict(sorted(paths.items())),
        "components": components,
    }


def _keep_components_apart(
    upstream: Upstream, document: dict[str, Any], merged: dict[str, dict[str, Any]]
) -> None:
    """Add `document`'s components to `merged`, renaming those whose name is taken by a
    different definition (and every `$ref` to them in `document`)."""
    renames: dict[str, str] = {}
    own = document.get("components", {})
    for kind, items in own.items():
        for name, definition in items.items():
            taken = merged.get(kind, {}).get(name)
            if taken is not None and taken != definition:
                renames[f"#/components/{kind}/{name}"] = f"#/components/{kind}/{upstream}_{name}"
    if renames:
        _rewrite_refs(document, renames)
    for kind, items in document.get("components", {}).items():
        target = merged.setdefault(kind, {})
        for name, definition in items.items():
            new_ref = renames.get(f"#/components/{kind}/{name}")
            target[new_ref.rsplit("/", 1)[1] if new_ref else name] = definition


def _rewrite_refs(node: Any, renames: Mapping[str, str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref in renames:
            node["$ref"] = renames[ref]
        for value in node.values():
            _rewrite_refs(value, renames)
    elif isinstance(node, list):
        for value in node:
            _rewrite_refs(value, renames)
