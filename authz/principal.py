"""The Principal: a verified token, decoded once at the edge. Resolvers only ask it questions.

Example::

    principal = Principal(subject="esp-bot", role=Role.ESP, scopes=ROLE_SCOPES[Role.ESP],
                          esp_id="example-esp")
    principal.require(Scope.REPORT_SUBMIT)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authz.roles import Role, Scope
from graph.core.errors import Forbidden


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

    def row_scope(self) -> dict[str, Any]:
        """The parameters of the one row rule (graph/core/visibility.py) for this principal."""
        reads = Scope.REPORT_READ in self.scopes
        return {
            "all": reads and self.role is Role.ANALYST,
            "reporterId": self.esp_id if reads and self.role is Role.ESP else None,
            "agencyId": self.agency_id if reads and self.role is Role.LE else None,
        }


ANONYMOUS_SCOPE: dict[str, Any] = {"all": False, "reporterId": None, "agencyId": None}
