"""Looking identifiers up by value: the value is normalised as on intake, and a personal kind
(e-mail, phone) needs pii:read, since finding one by its value says what the value is."""

from __future__ import annotations

from strawberry.types import Info

from authz.fields import deny
from authz.roles import Scope
from graph.core.errors import Forbidden
from graph.identifiers.identity import PERSONAL_KINDS, NormalisedIdentifier, normalise
from resolvers.context import Context
from resolvers.enums import IdentifierKind


def identity(info: Info[Context, None], kind: IdentifierKind, value: str,
             scope: str | None) -> NormalisedIdentifier:
    """The identity to look up; ``FORBIDDEN`` for a personal kind without pii:read."""
    principal = info.context.authenticated()
    normalised = normalise(kind, value, scope, info.context.services.reads.default_phone_region)
    if normalised.kind in PERSONAL_KINDS and not principal.has(Scope.PII_READ):
        deny(info)
        raise Forbidden(f"looking up a {kind.value} by its value requires pii:read")
    return normalised
