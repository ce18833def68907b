"""Recording the audit trail: one event per GraphQL operation by a person, before it answers.

Operations by analysts, law enforcement, auditors and admins are recorded, and so is every
request whose token was refused. ESP machine traffic is not (it is the ESP's own data). The
event is durable before the response leaves: when it cannot be written, the caller gets
``SERVICE_UNAVAILABLE`` instead of the data.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any, Final

import jwt
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from authz.roles import Role
from graph.audit.trail import AuditRecord
from graph.audit.writer import AuditWriter
from graph.core.errors import ServiceUnavailable, Unauthenticated

__all__ = ["AUDITED_ROLES", "UNAVAILABLE", "AuditTrail", "AuditWriter", "operation_record",
           "unanswered_for_outage", "unverified_subject", "variables_hash", "write_record"]

log = logging.getLogger("tipgraph.audit")
AUDITED_ROLES: Final = frozenset({Role.ANALYST, Role.LE, Role.AUDITOR, Role.ADMIN})


def _outcome(errors: list[GraphQLError] | None) -> str:
    if not errors:
        return "OK"
    codes = sorted({str((e.extensions or {}).get("code", "ERROR")) for e in errors})
    return ",".join(codes)


def unverified_subject(token: str | None) -> str:
    """Who a refused token claimed to be, for the record only (never trusted)."""
    if not token:
        return "(no token)"
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return "(malformed token)"
    return f"(unverified) {str(claims.get('sub'))[:128]}"


def variables_hash(variables: dict[str, Any] | None) -> str | None:
    """SHA-256 of the variables in canonical JSON (sorted keys), or None without variables."""
    if not variables:
        return None
    canonical = json.dumps(variables, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def operation_record(context: Any, *, operation_name: str | None, operation_type: str,
                     query: str, variables: dict[str, Any] | None,
                     errors: list[GraphQLError]) -> AuditRecord | None:
    """The audit event of one GraphQL operation, or ``None`` when it is not audited (ESP
    machine traffic). Both execution paths (strawberry's and the compiled reads) use it."""
    principal = context.principal
    refused = isinstance(context.auth_error, Unauthenticated)
    if not refused and (principal is None or principal.role not in AUDITED_ROLES):
        return None
    request = context.request
    return AuditRecord(
        subject=principal.subject if principal else unverified_subject(context.token),
        role=principal.role.value if principal else "unauthenticated",
        agency_id=principal.agency_id if principal else None,
        operation=operation_name or "(anonymous)",
        operation_type=operation_type,
        query_hash=hashlib.sha256(query.encode()).hexdigest(),
        variables_hash=variables_hash(variables),
        report_ids=tuple(context.touched_reports),
        asked_report_ids=tuple(context.asked_reports - context.touched_reports),
        denied_fields=tuple(context.denied_fields),
        outcome="UNAUTHENTICATED" if refused else _outcome(errors),
        client_address=request.client.host if request.client else None,
        request_id=context.request_id,
    )


def unanswered_for_outage(data: Any, errors: list[GraphQLError]) -> bool:
    """An operation that disclosed nothing because the database was unavailable: no value in
    its data, and every error SERVICE_UNAVAILABLE. Its event is not written (it would fail the
    same way, and the 503 would wait for it): nothing was read, so nothing is unaudited."""
    nothing = data is None or (isinstance(data, dict) and all(v is None for v in data.values()))
    return nothing and bool(errors) and all(
        isinstance(error.original_error, ServiceUnavailable)
        or (error.extensions or {}).get("code") == ServiceUnavailable.code for error in errors)


async def write_record(context: Any, record: AuditRecord) -> bool:
    """Append the event (group commit: concurrent operations share one transaction, each waits
    until its own event is durable). False when the trail is unavailable: the caller then
    withholds the data."""
    try:
        await context.services.audit.append(record)
    except ServiceUnavailable:
        log.error("audit event could not be written; withholding the response")
        return False
    return True


UNAVAILABLE: Final = ("The audit trail is unavailable; nothing can be answered until it is "
                      "back.")


class AuditTrail(SchemaExtension):
    async def on_operation(self) -> AsyncIterator[None]:
        yield
        context = self.execution_context.context
        result = self.execution_context.result
        errors = list(getattr(result, "errors", None) or
                      self.execution_context.pre_execution_errors or [])
        try:
            operation_type = self.execution_context.operation_type.value
        except RuntimeError:
            operation_type = "unknown"
        record = operation_record(
            context, operation_name=self.execution_context.operation_name,
            operation_type=operation_type, query=self.execution_context.query or "",
            variables=self.execution_context.variables, errors=errors)
        if record is None or unanswered_for_outage(getattr(result, "data", None), errors):
            return
        if not await write_record(context, record) and result is not None:
            result.data = None
            result.errors = [GraphQLError(UNAVAILABLE, extensions={"code": "SERVICE_UNAVAILABLE"})]
