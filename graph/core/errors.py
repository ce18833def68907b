"""Domain errors with stable codes. The GraphQL and XML doors translate them; nothing else does.
"""

from __future__ import annotations

from typing import Any, ClassVar


class TipgraphError(Exception):
    """Base class: ``code`` is the stable ``extensions.code`` a client can branch on."""

    code: ClassVar[str] = "INTERNAL"

    def __init__(self, message: str, *, field: str | None = None,
                 details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details or {}


class BadInput(TipgraphError):
    code = "BAD_USER_INPUT"


class TooExpensive(BadInput):
    """A query ran past its time budget (a Neo4j transaction timeout) and was stopped."""


class NotFound(TipgraphError):
    code = "NOT_FOUND"


class Conflict(TipgraphError):
    code = "CONFLICT"


class ReportExpired(TipgraphError):
    code = "REPORT_EXPIRED"


class Unauthenticated(TipgraphError):
    code = "UNAUTHENTICATED"


class Forbidden(TipgraphError):
    code = "FORBIDDEN"


class RateLimited(TipgraphError):
    code = "RATE_LIMITED"


class Refused(TipgraphError):
    """A tool will not act on this database (e.g. synthetic data into one with real reports)."""

    code = "REFUSED"


class ServiceUnavailable(TipgraphError):
    code = "SERVICE_UNAVAILABLE"


class SettingsError(ValueError):
    """A setting has a value tipgraph cannot run with (raised at startup, never to a client)."""
