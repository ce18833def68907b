"""agencyQueue: a law-enforcement reader's reports ranked by explained signals; the admin's
setAgencySignalWeights (graph.referrals.signals)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from authz.roles import Role, Scope
from graph.core.errors import BadInput, Forbidden
from graph.referrals import signals as service
from resolvers.context import REPLAYS, Context
from resolvers.reports.resolvers import require_report
from resolvers.reports.types import Report


@strawberry.type(description="One signal of a report's rank: weight times value adds to its score.")
class Signal:
    name: str
    weight: float
    value: float = strawberry.field(description="From 0 to 1.")
    explanation: str


@strawberry.type(description="A signal's weight for an agency.")
class SignalWeight:
    name: str
    weight: float


@strawberry.input
class SignalWeightInput:
    name: str
    weight: float = strawberry.field(description="From 0 to 100.")


@strawberry.type
class QueuedReport:
    rank: int = strawberry.field(description="1 for the first report of the queue.")
    score: float
    signals: list[Signal]
    report_id: strawberry.Private[int]

    @strawberry.field
    async def report(self, info: Info[Context, None]) -> Report:
        return await require_report(info, self.report_id)


@strawberry.type(description=(
    "The agency's reports, ranked by weighted signals, each explained. Computed under the "
    "agency's row rule: reports it may not see change no score or rank."))
class AgencyQueue:
    total_count: int = strawberry.field(description=(
        "Reports ranked: the agency's most recent 5,000 submitted reports it may see."))
    weights: list[SignalWeight]
    items: list[QueuedReport]


def _weights(weights: dict[str, float]) -> list[SignalWeight]:
    return [SignalWeight(name=n, weight=w) for n, w in weights.items()]


async def agency_queue(info: Info[Context, None], first: int = 20,
                       offset: int = 0) -> AgencyQueue:
    principal = info.context.require(Scope.REPORT_READ, Role.LE)
    if principal.agency_id is None:
        raise Forbidden("this token names no agency")
    cap = info.context.services.reads.max_page_size
    if not 1 <= first <= cap:
        raise BadInput(f"first is 1 to {cap}", field="first")
    if not 0 <= offset <= service.CANDIDATES:
        raise BadInput(f"offset is 0 to {service.CANDIDATES}", field="offset")
    weights, ranked = await service.queue(
        info.context.services.db, principal.agency_id, rows=principal.row_scope(),
        threshold=info.context.services.reads.common_identifier_reports)
    return AgencyQueue(total_count=len(ranked), weights=_weights(weights), items=[
        QueuedReport(rank=offset + i + 1, score=r.score, report_id=r.report_id,
                     signals=[Signal(name=s.name, weight=s.weight, value=s.value,
                                     explanation=s.explanation) for s in r.signals])
        for i, r in enumerate(ranked[offset:offset + first])])


@strawberry.type
class QueueMutations:
    @strawberry.mutation(description=(
        "Set some of an agency's signal weights (0 to 100; the rest keep theirs). Returns all "
        "of them. Requires admin. " + REPLAYS))
    async def set_agency_signal_weights(self, info: Info[Context, None],
                                        agency_id: strawberry.ID,
                                        weights: list[SignalWeightInput],
                                        idempotency_key: str | None = None) -> list[SignalWeight]:
        principal = info.context.require(Scope.ADMIN, Role.ADMIN)
        info.context.mutating(principal)
        if len(weights) > len(service.DEFAULT_WEIGHTS):
            raise BadInput("one weight per signal", field="weights")
        given = {w.name: w.weight for w in weights}
        merged = await service.set_weights(info.context.services.db, str(agency_id), given,
                                           by=principal.subject,
                                           change=info.context.change(
                                               principal, idempotency_key,
                                               "SET_SIGNAL_WEIGHTS", agency_id, given))
        return _weights(merged)
