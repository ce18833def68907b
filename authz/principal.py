"""The Principal: a verified token, decoded once at the edge. Resolvers only ask it questions.
"""

from __future__ import annotations

from dataclasses import dataclass

from authz.roles import Role, Scope
from graph.core.errors import Forbidden
from graph.core.visibility import EVERY_REPORT, NO_REPORT, RowScope


@dataclass(frozen=True, slots=True)
class Principal:
    subject: str
    role: Role
    scopes: frozenset[Scope]
    esp_id: str | None = None
    agency_id: str | None = None
    token_id: str | None = None

    def has(self, scope: Scope) -> bool:
        return scope in self.scopes

    def require(self, scope: Scope) -> None:
        if scope not in self.scopes:
            raise Forbidden(f"this operation requires the {scope.value} scope")

    def require_role(self, *roles: Role) -> None:
        if self.role not in roles:
            raise Forbidden("this operation is not available to your role")

    def may_read_agency(self, agency_id: str) -> bool:
        """Analysts (routing referrals) and admins read every agency; an agency itself."""
        return self.role in (Role.ANALYST, Role.ADMIN) or self.agency_id == agency_id

    def row_scope(self) -> RowScope:
        """Which reports this principal may see (the one row rule, graph/core/visibility.py)."""
        if Scope.REPORT_READ not in self.scopes:
            return NO_REPORT
        if self.role is Role.ANALYST:
            return EVERY_REPORT
        if self.role is Role.ESP and self.esp_id:
            return RowScope(reporter_id=self.esp_id)
        if self.role is Role.LE and self.agency_id:
            return RowScope(agency_id=self.agency_id)
        return NO_REPORT
