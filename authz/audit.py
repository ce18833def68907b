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

__all__ = ["AUDITED_ROLES", "AuditTrail", "AuditWriter", "unverified_subject", "variables_hash"]

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


class AuditTrail(SchemaExtension):
    async def on_operation(self) -> AsyncIterator[None]:
        yield
        context = self.execution_context.context
        principal = context.principal
        refused = isinstance(context.auth_error, Unauthenticated)
        if not refused and (principal is None or principal.role not in AUDITED_ROLES):
            return
        result = self.execution_context.result
        errors = list(getattr(result, "errors", None) or
                      self.execution_context.pre_execution_errors or [])
        try:
            operation_type = self.execution_context.operation_type.value
        except RuntimeError:
            operation_type = "unknown"
        query = self.execution_context.query or ""
        request = context.request
        record = AuditRecord(
            subject=principal.subject if principal else unverified_subject(context.token),
            role=principal.role.value if principal else "unauthenticated",
            agency_id=principal.agency_id if principal else None,
            operation=self.execution_context.operation_name or "(anonymous)",
            operation_type=operation_type,
            query_hash=hashlib.sha256(query.encode()).hexdigest(),
            variables_hash=variables_hash(self.execution_context.variables),
            report_ids=tuple(context.touched_reports),
            asked_report_ids=tuple(context.asked_reports - context.touched_reports),
            denied_fields=tuple(context.denied_fields),
            outcome="UNAUTHENTICATED" if refused else _outcome(errors),
            client_address=request.client.host if request.client else None,
            request_id=context.request_id,
        )
        try:
            # group commit: concurrent operations share one append transaction, and each waits
            # until its own event is durable
            await context.services.audit.append(record)
        except ServiceUnavailable:
            log.error("audit event could not be written; withholding the response")
            if result is not None:
                result.data = None
                result.errors = [GraphQLError(
                    "The audit trail is unavailable; nothing can be answered until it is back.",
                    extensions={"code": "SERVICE_UNAVAILABLE"})]
