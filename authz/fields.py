"""Field rules, declared next to each field with strawberry's PermissionExtension.

A denied nullable field comes back ``null`` with one ``FORBIDDEN`` error naming its path; the
rest of the response arrives. Every denial is remembered on the request for the audit trail.

Every guarded field is guarded the same way: a ``PermissionExtension`` naming one of the
permissions below, declared on the field. A field whose denial is no news to the reader (an
ESP's empty ``referrals``, a non-analyst's ``suggestedAgencies``) uses ``fail_silently``; every
other denial is ``null`` plus ``FORBIDDEN``. Personal data is declared once
(graph.reports.personal) and guarded with :class:`HasScope` by ``resolvers/reports/parts.py``;
an identifier's value by :class:`PersonalValue`, from its kind.
"""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info

from authz.roles import Role, Scope
from graph.identifiers.identity import PERSONAL_KINDS


def deny(info: Info[Any, Any]) -> None:
    """Remember a denied field (its response path) for the audit trail."""
    info.context.denied_fields.append(".".join(str(key) for key in info.path.as_list()))


class HasScope(BasePermission):
    """The caller's token grants ``scope``."""

    error_extensions = {"code": "FORBIDDEN"}

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.message = f"Requires {scope.value}."
        # the scope a client names when it shows the field as withheld ("needs pii:read")
        self.error_extensions = {"code": "FORBIDDEN", "scope": scope.value}

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


class ReadsReferrals(BasePermission):
    """Referrals are for analysts, and for the agencies they went to (rows filter further);
    never for the ESP that reported."""

    error_extensions = {"code": "FORBIDDEN"}
    message = "Referrals are not shown to reporters."

    def has_permission(self, source: Any, info: Info[Any, Any], **kwargs: Any) -> bool:
        principal = info.context.principal
        return principal is not None and principal.role is not Role.ESP


class PersonalValue(BasePermission):
    """An identifier's value, when its kind is personal (e-mail, phone), needs pii:read."""

    error_extensions = {"code": "FORBIDDEN"}
    message = f"Requires {Scope.PII_READ.value}."

    def has_permission(self, source: Any, info: Info[Any, Any], **kwargs: Any) -> bool:
        if source.node["kind"] not in PERSONAL_KINDS:
            return True
        principal = info.context.principal
        allowed = principal is not None and principal.has(Scope.PII_READ)
        if not allowed:
            deny(info)
        return allowed
