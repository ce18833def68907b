"""Field rules, declared next to each field with strawberry's PermissionExtension.

A denied nullable field comes back ``null`` with one ``FORBIDDEN`` error naming its path; the
rest of the response arrives. Every denial is remembered on the request for the audit trail.

Example::

    @strawberry.type
    class Person:
        first_name: str | None = pii()       # "Requires pii:read."
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.permission import BasePermission, PermissionExtension
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


def guarded(permission: BasePermission, description: str | None = None) -> Any:
    """A nullable field that needs ``permission``; its description says so."""
    note = permission.message or ""
    return strawberry.field(
        default=None,
        description=f"{description} {note}".strip() if description else note,
        extensions=[PermissionExtension(permissions=[permission])],
    )


def pii(description: str | None = None) -> Any:
    """Personal data of reported people, recipients, victims or the reporter's contacts."""
    return guarded(HasScope(Scope.PII_READ), description)
