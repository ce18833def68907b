"""The Identifier type: one node per normalised value, shared by every report that names it."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.permission import PermissionExtension
from strawberry.types import Info

from authz.fields import PersonalValue
from graph.identifiers import loaders as identifier_loaders
from resolvers.context import Context
from resolvers.enums import IdentifierKind
from resolvers.reports.resolvers import decode_cursor, page_size, to_connection
from resolvers.reports.types import ReportConnection


@strawberry.federation.type(keys=["id"], description=(
    "An e-mail, phone, IP address, screen name, ESP account, URL, device id or file hash, "
    "normalised so that every report naming the same value links to the same node."))
class Identifier:
    node: strawberry.Private[dict[str, Any]]

    @classmethod
    def from_node(cls, node: dict[str, Any]) -> Identifier:
        return cls(node=node)

    @classmethod
    async def resolve_reference(cls, info: Info[Context, None],
                                id: strawberry.ID) -> Identifier | None:
        node = await info.context.loaders.identifiers_by_id.load(str(id))
        return cls(node=node) if node else None

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.node["id"])

    @strawberry.field
    def kind(self) -> IdentifierKind:
        return IdentifierKind(self.node["kind"])

    @strawberry.field(description=(
        "The normalised value (lower-cased e-mail, E.164 phone, ...). E-mail addresses and "
        "phone numbers are personal data: null without pii:read."),
        extensions=[PermissionExtension(permissions=[PersonalValue()])])
    def value(self) -> str | None:
        return str(self.node["value"])

    @strawberry.field(description=(
        "The service of a screen name or ESP account, the algorithm of a hash, the type of a "
        "device id."))
    def scope(self) -> str | None:
        return self.node.get("scope")

    @strawberry.field(description=(
        "How many submitted reports you may see mention this identifier (open, cancelled and "
        "expired reports never count)."))
    async def report_count(self, info: Info[Context, None]) -> int:
        return await info.context.loaders.report_counts_by_identifier_id.load(self.node["id"])

    @strawberry.field(description=(
        "True when more than TIPGRAPH_COMMON_IDENTIFIER_REPORTS submitted reports you may see "
        "mention it (a carrier-grade NAT address, a viral image): left out of "
        "cross-references and traversals unless asked for."))
    async def common(self, info: Info[Context, None]) -> bool:
        return await info.context.loaders.common_by_identifier_id.load(self.node["id"])

    @strawberry.field(description="The reports you may see that mention it, newest first.")
    async def reports(self, info: Info[Context, None], first: int | None = None,
                      after: str | None = None) -> ReportConnection:
        principal = info.context.authenticated()
        size = page_size(info, first)
        total, page = await identifier_loaders.identifier_report_page(
            info.context.services.db, self.node["id"], rows=principal.row_scope(),
            limit=size + 1, before=decode_cursor(after) if after else None)
        return to_connection(info, total, page, size)
