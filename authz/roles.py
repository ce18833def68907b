"""Roles and scopes, as string enums (like saleor's permission enums).

Each role has default scopes; a token's ``scope`` claim may narrow them, never widen them.

Example::

    >>> Scope.PII_READ in ROLE_SCOPES[Role.ANALYST]
    True
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Role(StrEnum):
    ESP = "esp"
    ANALYST = "analyst"
    LE = "le"
    AUDITOR = "auditor"
    ADMIN = "admin"


class Scope(StrEnum):
    REPORT_SUBMIT = "report:submit"
    REPORT_READ = "report:read"
    REPORT_TRIAGE = "report:triage"
    REPORT_REFER = "report:refer"
    PII_READ = "pii:read"
    FILES_READ = "files:read"
    FILES_CONTENT = "files:content"
    LINKS_EXPLORE = "links:explore"
    AUDIT_READ = "audit:read"
    ADMIN = "admin"
    SCHEMA_READ = "schema:read"  # the supergraph's composition reads _service { sdl }


ROLE_SCOPES: Final[dict[Role, frozenset[Scope]]] = {
    Role.ESP: frozenset({Scope.REPORT_SUBMIT, Scope.REPORT_READ, Scope.PII_READ,
                        Scope.FILES_READ}),
    Role.ANALYST: frozenset({Scope.REPORT_READ, Scope.REPORT_TRIAGE, Scope.REPORT_REFER,
                            Scope.PII_READ, Scope.FILES_READ, Scope.FILES_CONTENT,
                            Scope.LINKS_EXPLORE}),
    Role.LE: frozenset({Scope.REPORT_READ, Scope.PII_READ, Scope.FILES_READ,
                       Scope.FILES_CONTENT, Scope.LINKS_EXPLORE}),
    Role.AUDITOR: frozenset({Scope.AUDIT_READ}),
    Role.ADMIN: frozenset({Scope.ADMIN, Scope.SCHEMA_READ}),
}


def granted_scopes(role: Role, requested: str | None) -> frozenset[Scope]:
    """The role's default scopes, narrowed to ``requested`` (space-separated) when given.

    Requested scopes the role does not have are dropped: a token cannot widen its role.
    """
    defaults = ROLE_SCOPES[role]
    if requested is None:
        return defaults
    asked = set(requested.split())
    return frozenset(scope for scope in defaults if scope.value in asked)
