"""Field rules, declared next to each field with strawberry's PermissionExtension.

A denied nullable field comes back ``null`` with one ``FORBIDDEN`` error naming its path; the
rest of the response arrives. Every denial is remembered on the request for the audit trail.

Personal data is declared once (graph.reports.personal) and guarded with :class:`HasScope` by
``resolvers/reports/parts.py``; other fields name their permission where they are declared.

Example::

    @strawberry.field(extensions=[PermissionExtension(permissions=[IsAnalyst()])])
    def notes(self) -> list[Note] | None: ...
"""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info

from authz.roles import Role, Scope


def deny(info: Info[Any, Any]) -> None:
    """Remember a denied field (its response path) for the audit trail."""
    info.context.denied_fields.append(".".join(str(key) for key in info.path.as_list()))


class HasScope(BasePermission):
    """The caller's token grants ``scope``."""

    error_extensions = {"code": "FORBIDDEN"}

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.message = f"Requires {scope.value}."

    def has_permission(self, source: Any, info: Info[Any, Any], **kwargs: Any) -> bool:
        principal = info.context.principal
        allowed = principal is not None and principal.has(self.scope)
        if not allowed:
            deny(info)
        return allowed


class IsAnalyst(BasePermission):
    """Only analysts (their notes are their working material, not evidence)."""

    error_extensions = {"code": "FORBIDDEN"}
    message = "Analysts only."

    def has_permission(self, source: Any, info: Info[Any, Any], **kwargs: Any) -> bool:
        principal = info.context.principal
        allowed = principal is not None and principal.role is Role.ANALYST
        if not allowed:
            deny(info)
        return allowed


class SeesEveryReport(BasePermission):
    """Readers who see every report: for values computed over the whole graph (noninterference:
    a reader with a narrower row rule would learn of reports it may not see)."""

    error_extensions = {"code": "FORBIDDEN"}
    message = ("Shown only to readers who see every report: it is computed over reports you "
               "may not see.")

    def has_permission(self, source: Any, info: Info[Any, Any], **kwargs: Any) -> bool:
        principal = info.context.principal
        allowed = principal is not None and bool(principal.row_scope().sees_all)
        if not allowed:
            deny(info)
        return allowed
