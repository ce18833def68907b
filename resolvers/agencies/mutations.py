"""Admin mutations for agencies; the analyst's referReport."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from authz.roles import Role, Scope
from graph.core.errors import NotFound
from graph.referrals import agencies as service
from resolvers.agencies.types import Agency, CreateAgencyInput
from resolvers.context import REPLAYS, Context
from resolvers.reports.resolvers import parse_report_id, require_report
from resolvers.reports.types import Report


async def _agency(info: Info[Context, None], agency_id: str) -> Agency:
    node = await info.context.loaders.agencies_by_id.load(agency_id)
    if node is None:
        raise NotFound(f"agency {agency_id} does not exist")
    return Agency(node=node)


@strawberry.type
class AgencyMutations:
    @strawberry.mutation(description=(
        "Create or update an agency (idempotent). Requires admin. " + REPLAYS))
    async def create_agency(self, info: Info[Context, None], input: CreateAgencyInput,
                            idempotency_key: str | None = None) -> Agency:
        principal = info.context.require(Scope.ADMIN, Role.ADMIN)
        info.context.mutating(principal)
        spec = service.AgencySpec(id=input.id, name=input.name, kind=input.kind,
                                  jurisdictions=tuple(input.jurisdictions),
                                  sees_all=input.sees_all)
        await service.upsert_agency(info.context.services.db, spec, info.context.change(
            principal, idempotency_key, "CREATE_AGENCY", spec))
        return await _agency(info, input.id)

    @strawberry.mutation(description=(
        "Replace the jurisdictions an agency covers. Requires admin. " + REPLAYS))
    async def set_agency_jurisdictions(self, info: Info[Context, None], agency_id: strawberry.ID,
                                       jurisdictions: list[str],
                                       idempotency_key: str | None = None) -> Agency:
        principal = info.context.require(Scope.ADMIN, Role.ADMIN)
        info.context.mutating(principal)
        await service.set_jurisdictions(
            info.context.services.db, str(agency_id), jurisdictions,
            info.context.change(principal, idempotency_key, "SET_AGENCY_JURISDICTIONS",
                                agency_id, jurisdictions))
        return await _agency(info, str(agency_id))

    @strawberry.mutation(description=(
        "Refer a submitted report to an agency, recording who referred it, when and why. "
        "The agency's tokens then see the report. Requires report:refer. " + REPLAYS))
    async def refer_report(self, info: Info[Context, None], report_id: strawberry.ID,
                           agency_id: strawberry.ID, reason: str,
                           idempotency_key: str | None = None) -> Report:
        principal = info.context.require(Scope.REPORT_REFER, Role.ANALYST)
        info.context.mutating(principal)
        key = parse_report_id(report_id, "reportId")
        await service.refer_report(info.context.services.db, key, str(agency_id),
                                   by=principal.subject, reason=reason,
                                   rows=principal.row_scope(),
                                   change=info.context.change(principal, idempotency_key,
                                                              "REFER_REPORT", key, agency_id,
                                                              reason))
        info.context.services.events.poke()
        return await require_report(info, key, changed=True)
