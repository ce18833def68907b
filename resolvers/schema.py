"""The tipgraph GraphQL schema: an Apollo Federation 2 subgraph."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.federation.schema import FederationAny
from strawberry.printer import print_schema
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext, Info

from authz.audit import AuditTrail
from authz.roles import Role, Scope
from graph.core.errors import BadInput
from graph.identifiers.loaders import identifier_by_key
from graph.matching.schemes import FIXED, scheme
from graph.referrals.loaders import all_agencies
from resolvers.agencies.mutations import AgencyMutations
from resolvers.agencies.types import Agency, Jurisdiction
from resolvers.audit.resolvers import audit_events
from resolvers.audit.types import AuditEventConnection
from resolvers.context import Context
from resolvers.enums import IdentifierKind
from resolvers.errors import classify
from resolvers.hashlists import HashListMutations, HashListVersion, hash_lists
from resolvers.identifiers.lookup import identity
from resolvers.identifiers.types import Identifier
from resolvers.limits import (
    BoundedValidation,
    cost_limit_rule,
    directive_limit_rule,
)
from resolvers.links.resolvers import LinkQueries, ViewMutations
from resolvers.referrals.events import Subscription
from resolvers.referrals.mutations import ReferralMutations
from resolvers.referrals.queue import AgencyQueue, QueueMutations, agency_queue
from resolvers.reports import resolvers as report_resolvers
from resolvers.reports.mutations import ReportMutations
from resolvers.reports.triage import DispositionMutations, TriageMutations
from resolvers.reports.types import ClassificationScheme, Report, ReportConnection
from resolvers.settings import EdgeLimits
from resolvers.statistics.resolvers import statistics
from resolvers.statistics.types import StatisticsTable


@strawberry.type(name="_Service")
class FederationService:
    sdl: str


@strawberry.type
class Query(LinkQueries):
    report: Report | None = strawberry.field(
        resolver=report_resolvers.report,
        description="One report you may see; null when it does not exist or is not yours to see.")
    reports: ReportConnection = strawberry.field(
        resolver=report_resolvers.reports,
        description=("The triage queue of reports you may see: filtered, ordered (default: "
                     "priority, P1 first, then oldest submission first), with stable cursors "
                     "and totalCount. `first` is capped."))
    statistics: StatisticsTable = strawberry.field(
        resolver=statistics,
        description=("Published counts of submitted reports for a year, by dimensions. No "
                     "token needed. Cells under the threshold are suppressed, and so are the "
                     "cells that would reveal them."))
    agency_queue: AgencyQueue = strawberry.field(
        resolver=agency_queue, description=(
            "For law enforcement: your agency's reports ranked by weighted signals, each "
            "explained (escalation, priority, hash-list matches, victim age, recency, "
            "identifiers shared with reports you can see, your earlier outcomes)."))
    hash_lists: list[HashListVersion] = strawberry.field(
        resolver=hash_lists, description=(
            "Hash lists' versions (one list's when named), oldest import first, with how "
            "many files each labelled. Analysts and admins."))

    @strawberry.field(description=(
        "The classification schemes labels are given under, with their vocabularies: INDUSTRY, "
        "INTERPOL and ANALYST, and NATIONAL:CC for each country code asked for. No token "
        "needed: vocabularies are public."))
    def classification_schemes(self, countries: list[str] | None = None
                               ) -> list[ClassificationScheme]:
        if countries is not None and len(countries) > 300:
            raise BadInput("at most 300 countries", field="countries")
        asked = [scheme(f"NATIONAL:{c}") for c in dict.fromkeys(countries or [])]
        return [ClassificationScheme.of(s) for s in (*FIXED[:2], *asked, FIXED[2])]

    audit_events: AuditEventConnection = strawberry.field(
        resolver=audit_events,
        description="The audit trail, newest first. Auditors only (audit:read).")

    @strawberry.field(description=(
        "Look an identifier up by its value (normalised as on intake). `scope` is the service "
        "of a SCREEN_NAME or ESP_ACCOUNT, the algorithm of a FILE_HASH, the type of a DEVICE_ID. "
        "E-mail addresses and phone numbers are personal data: looking one up requires "
        "pii:read."))
    async def identifier(self, info: Info[Context, None], kind: IdentifierKind, value: str,
                         scope: str | None = None) -> Identifier | None:
        principal = info.context.authenticated()
        normalised = identity(info, kind, value, scope)
        node = await identifier_by_key(info.context.services.db, normalised.key,
                                       principal.row_scope())
        return Identifier.from_node(node) if node else None

    @strawberry.field(name="_service", description=(
        "The subgraph's SDL, for composing the supergraph. In production it needs a token with "
        "schema:read (admins hold it); introspection is off there too."))
    def service(self, info: Info[Context, None]) -> FederationService:
        schema = info.schema
        if getattr(schema, "production", True):
            info.context.require(Scope.SCHEMA_READ)
        return FederationService(sdl=print_schema(schema))

    @strawberry.field(description="One agency. Analysts and admins; an agency sees itself.")
    async def agency(self, info: Info[Context, None], id: strawberry.ID) -> Agency | None:
        if not info.context.authenticated().may_read_agency(str(id)):
            return None
        node = await info.context.loaders.agencies_by_id.load(str(id))
        return Agency(node=node) if node else None

    @strawberry.field(description="Every agency, for analysts routing referrals and admins.")
    async def agencies(self, info: Info[Context, None]) -> list[Agency]:
        principal = info.context.authenticated()
        if principal.role not in (Role.ANALYST, Role.ADMIN):
            principal.require(Scope.ADMIN)
        return [Agency(node=node) for node in await all_agencies(info.context.services.db)]


@strawberry.type
class Mutation(ReportMutations, TriageMutations, DispositionMutations, AgencyMutations,
               ReferralMutations, HashListMutations, QueueMutations, ViewMutations):
    pass


ENTITY_TYPES: Final = frozenset({"Report", "Identifier", "Agency", "Jurisdiction"})


class TipgraphSchema(strawberry.federation.Schema):
    production = False

    def process_errors(self, errors: list[GraphQLError],
                       execution_context: ExecutionContext | None = None) -> None:
        """Give every error its code, in place: the HTTP view does it again (idempotent), and
        this is how errors sent over a WebSocket (subscriptions) get theirs."""
        errors[:] = [classify(error, hide_suggestions=self.production) for error in errors]

    def entities_resolver(self, info: Info,
                          representations: list[FederationAny]) -> list[FederationAny]:
        """``_entities``, with each representation checked first: ``{__typename, id}`` for one of
        the entity types, or a BAD_USER_INPUT for that item (the others still resolve). The
        types' ``resolve_reference`` go through the request's DataLoaders: one Cypher round
        trip per entity type, under the row rules."""
        results: list[Any] = [None] * len(representations)
        valid: list[tuple[int, FederationAny]] = []
        for index, representation in enumerate(representations):
            if (isinstance(representation, dict)
                    and representation.get("__typename") in ENTITY_TYPES
                    and isinstance(representation.get("id"), str | int)
                    and set(representation) == {"__typename", "id"}):
                valid.append((index, FederationAny(
                    {**representation, "id": str(representation["id"])})))
            else:
                results[index] = BadInput(
                    f"representations[{index}] must be {{__typename, id}} for one of "
                    f"{', '.join(sorted(ENTITY_TYPES))}", field="representations")
        resolved = super().entities_resolver(info, [r for _, r in valid]) if valid else []
        for (index, _), result in zip(valid, resolved, strict=True):
            results[index] = result
        return results


def build_schema(*, production: bool, limits: EdgeLimits | None = None,
                 page_cap: int = 100, audit: bool = True) -> TipgraphSchema:
    """The schema with its edge limits. ``audit=False`` exists for the benchmark that
    measures what the audit trail costs; nothing that serves users passes it."""
    limits = limits or EdgeLimits()
    # Factories, so each request gets fresh extension state; the parse and validation caches
    # live at module level in strawberry and are shared across requests.
    extensions: list[Callable[[], SchemaExtension] | type[SchemaExtension]] = [
        *([AuditTrail] if audit else []),
        lambda: ParserCache(maxsize=256),
        lambda: BoundedValidation(max_fields=limits.max_expanded_fields,
                                  max_repeats=limits.max_repeated_fields, maxsize=256),
        lambda: QueryDepthLimiter(max_depth=limits.max_depth),
        lambda: MaxAliasesLimiter(max_alias_count=limits.max_aliases),
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        lambda: AddValidationRules([
            cost_limit_rule(limits.max_cost, limits.default_list_size, page_cap),
            directive_limit_rule(limits.max_directives),
        ]),
    ]
    if production:
        extensions.append(DisableIntrospection)
    schema = TipgraphSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Identifier, Jurisdiction],
        extensions=extensions,
        config=StrawberryConfig(batching_config={"max_operations": limits.max_batch}),
    )
    schema.production = production
    return schema
