"""The OpenAPI document every app serves, made true to what the routes answer.

FastAPI documents its own 422 body (`HTTPValidationError`, application/json) and nothing of
the answers our shared pieces give: the problem+json errors (RFC 9457) of the token check, the
body limit, X-Min-Position, If-Match, Idempotency-Key, and the bearer token itself. Here every
`/v1` operation gets the bearer security scheme (Swagger UI's "Authorize") and each problem
status it can answer, and opening a ticket links to the calls on that ticket (OpenAPI links,
which schemathesis' stateful run follows).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from .problems import PROBLEM_MEDIA_TYPE

BEARER = "bearer"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; `errors` names each invalid field.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}
_WRITES = frozenset({"post", "put", "patch", "delete"})
_WHY = {
    400: "malformed JSON or UTF-8, or a malformed X-Min-Position / If-Match header",
    401: "no valid bearer token",
    403: "the caller's role may not do this",
    404: "no such resource, or not one the caller may see",
    409: "the same Idempotency-Key is still being handled, or the state forbids it",
    412: "If-Match names another version; nothing was written",
    413: "the body is over the size limit",
    415: "the body's media type is not accepted",
    422: "a field is invalid (`errors` names each)",
    503: "a dependency or X-Min-Position is not ready in time; see Retry-After",
}
# The calls on a ticket that opening one links to: (method, path, parameter, response field).
_TICKET_LINKS = [
    ("get", "/v1/tickets/{ticket_id}", "ticket_id", "ticket_id"),
    ("get", "/v1/tickets/by-tracking-code/{code}", "code", "tracking_code"),
    ("post", "/v1/tickets/{ticket_id}/messages", "ticket_id", "ticket_id"),
    ("post", "/v1/tickets/{ticket_id}/read", "ticket_id", "ticket_id"),
    ("post", "/v1/tickets/{ticket_id}/close", "ticket_id", "ticket_id"),
    ("post", "/v1/tickets/{ticket_id}/reopen", "ticket_id", "ticket_id"),
    ("patch", "/v1/tickets/{ticket_id}", "ticket_id", "ticket_id"),
]


def problem_statuses(path: str, method: str, operation: dict[str, Any]) -> set[int]:
    """The problem statuses an API operation can answer, from what it takes."""
    statuses = {400, 401, 422, 503}
    headers = {p["name"].lower() for p in operation.get("parameters", []) if p["in"] == "header"}
    if "{" in path:
        statuses.add(404)
    if method in _WRITES:
        statuses |= {403, 409, 413}
        if "requestBody" in operation:
            statuses.add(415)
    if "if-match" in headers:
        statuses.add(412)
    return statuses


def complete(document: dict[str, Any]) -> dict[str, Any]:
    """`document` with the security scheme, the problem answers and the ticket links added."""
    components = document.setdefault("components", {})
    components.setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    components.setdefault("securitySchemes", {})[BEARER] = {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A JWT with sub, role, brand and exp (`ticketing token` mints one).",
    }
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            responses = operation.setdefault("responses", {})
            if path.startswith("/v1/"):
                operation["security"] = [{BEARER: []}]
                for status in problem_statuses(path, method, operation):
                    responses.setdefault(str(status), {"description": _WHY[status]})
            for status, response in list(responses.items()):
                if status.isdigit() and int(status) >= 400:
                    responses[status] = {
                        "description": response.get("description") or _WHY.get(int(status), ""),
                        "content": {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}},
                    }
            operation["responses"] = dict(sorted(responses.items()))
    _link_opened_ticket(document)
    _unreferenced_validation_schemas_removed(document)
    return document


def _link_opened_ticket(document: dict[str, Any]) -> None:
    paths = document.get("paths", {})
    opened = paths.get("/v1/tickets", {}).get("post", {}).get("responses", {}).get("201")
    if opened is None:
        return
    links: dict[str, Any] = {}
    for method, path, parameter, field in _TICKET_LINKS:
        target = paths.get(path, {}).get(method)
        if target is None or "operationId" not in target:
            continue  # a service that does not serve it
        links[target["operationId"]] = {
            "operationId": target["operationId"],
            "parameters": {parameter: f"$response.body#/{field}"},
        }
    if links:
        opened["links"] = links


def _unreferenced_validation_schemas_removed(document: dict[str, Any]) -> None:
    text = repr(document.get("paths", {}))
    schemas = document.get("components", {}).get("schemas", {})
    if "HTTPValidationError" not in text:
        schemas.pop("HTTPValidationError", None)
        if "#/components/schemas/ValidationError" not in repr(schemas):
            schemas.pop("ValidationError", None)


def install_openapi(app: FastAPI) -> None:
    """Serve the completed document from `app` (built once, when first asked for)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = complete(document)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
