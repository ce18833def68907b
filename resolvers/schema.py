"""The tipgraph GraphQL schema: an Apollo Federation 2 subgraph."""

from __future__ import annotations

from collections.abc import Callable

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.types import ExecutionContext, Info

from graph.identifiers import normalise
from graph.readers import identifier_by_key
from resolvers.context import Context
from resolvers.enums import IdentifierKind
from resolvers.identifiers.types import Identifier
from resolvers.reports import resolvers as report_resolvers
from resolvers.reports.mutations import ReportMutations
from resolvers.reports.types import Report, ReportConnection


@strawberry.type
class Query:
    report: Report | None = strawberry.field(
        resolver=report_resolvers.report,
        description="One report you may see; null when it does not exist or is not yours to see.")
    reports: ReportConnection = strawberry.field(
        resolver=report_resolvers.reports,
        description="Reports you may see, newest first (Relay pagination; `first` is capped).")

    @strawberry.field(description=(
        "Look an identifier up by its value (normalised as on intake). `scope` is the service "
        "of a SCREEN_NAME or ESP_ACCOUNT, the algorithm of a FILE_HASH, the type of a DEVICE_ID."))
    async def identifier(self, info: Info[Context, None], kind: IdentifierKind, value: str,
                         scope: str | None = None) -> Identifier | None:
        principal = info.context.authenticated()
        settings = info.context.services.settings
        normalised = normalise(kind, value, scope,
                               settings.default_phone_region)
        node = await identifier_by_key(info.context.services.db, normalised.key,
                                       principal.row_scope())
        return Identifier.from_node(node) if node else None


@strawberry.type
class Mutation(ReportMutations):
    pass


class TipgraphSchema(strawberry.federation.Schema):
    def process_errors(self, errors: list[GraphQLError],
                       execution_context: ExecutionContext | None = None) -> None:
        """Client errors are the client's; ErrorCodes logs the unexpected ones, with context."""


def build_schema(*, production: bool) -> TipgraphSchema:
    # Factories, so each request gets fresh extension state; the parse and validation caches
    # live at module level in strawberry and are shared across requests.
    extensions: list[Callable[[], SchemaExtension] | type[SchemaExtension]] = [
        lambda: ParserCache(maxsize=256),
        lambda: ValidationCache(maxsize=256),
        lambda: QueryDepthLimiter(max_depth=12),
        lambda: MaxAliasesLimiter(max_alias_count=30),
        lambda: MaxTokensLimiter(max_token_count=5000),
    ]
    return TipgraphSchema(
        query=Query,
        mutation=Mutation,
        types=[Identifier],
        extensions=extensions,
    )
