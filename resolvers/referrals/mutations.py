"""recordReferralOutcome: the agency a report was referred to says what became of it."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from authz.roles import Role, Scope
from graph.core.errors import Forbidden, NotFound
from graph.referrals import outcomes
from resolvers.agencies.types import Referral
from resolvers.context import REPLAYS, Context
from resolvers.enums import ReferralOutcome
from resolvers.reports.resolvers import parse_report_id


@strawberry.type
class ReferralMutations:
    @strawberry.mutation(description=(
        "Record what became of a referral. Only a token of the agency the report was referred "
        "to may (law enforcement, report:read): NOT_FOUND for a report it cannot see, "
        "FORBIDDEN for one it sees but was not referred. Each outcome is kept with the note, "
        "who and when; sending the latest outcome and note again changes nothing (safe to "
        "retry). Returns the agency's referral with every outcome. " + REPLAYS))
    async def record_referral_outcome(self, info: Info[Context, None], report_id: strawberry.ID,
                                      outcome: ReferralOutcome, note: str | None = None,
                                      idempotency_key: str | None = None) -> Referral:
        principal = info.context.require(Scope.REPORT_READ, Role.LE)
        info.context.mutating(principal)
        if principal.agency_id is None:
            raise Forbidden("this token names no agency")
        key = parse_report_id(report_id, "reportId")
        services = info.context.services
        await outcomes.record_outcome(services.db, key, principal.agency_id, outcome.value,
                                      note=note, by=principal.subject,
                                      rows=principal.row_scope(),
                                      change=info.context.change(
                                          principal, idempotency_key, "RECORD_OUTCOME", key,
                                          outcome.value, note))
        services.events.poke()
        info.context.touched_reports.add(key)
        rows = await info.context.loaders.referrals_by_report_id.load(key)
        for row in rows:
            if row["agencyId"] == principal.agency_id:
                return Referral.from_row(row)
        raise NotFound(f"report {key} does not exist")  # pragma: no cover - written above
