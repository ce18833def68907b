"""Live updates over graphql-transport-ws: reportEvents for analysts, referralEvents for agencies.

Both read the durable event log (graph/events/log.py) through the process's EventHub. Each event a
subscriber receives has a ``cursor``; subscribing again with ``after: <cursor>`` replays what
was missed, then carries on live. Row rules hold on every event, and every delivery to a
person is in the audit trail. A subscription ends with UNAUTHENTICATED when its token expires
or is revoked (checked every TIPGRAPH_SUBSCRIPTION_RECHECK_SECONDS, 60 unless told).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator, Callable, Mapping
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from authz.principal import Principal
from authz.roles import Role, Scope
from graph.audit.trail import AuditRecord
from graph.events.log import parse_cursor
from resolvers.agencies.types import Agency
from resolvers.context import Context
from resolvers.enums import IncidentType, Priority, ReferralOutcome
from resolvers.reports.resolvers import load_report
from resolvers.reports.types import Report


@strawberry.enum(description="What happened, for analysts.")
class ReportEventType(Enum):
    SUBMITTED = "SUBMITTED"
    ESCALATED = "ESCALATED"
    PRIORITY_SUGGESTED = "PRIORITY_SUGGESTED"
    OUTCOME_RECORDED = "OUTCOME_RECORDED"


@strawberry.input(description="Which analyst events to hear; every filter given must hold.")
class ReportEventFilter:
    types: list[ReportEventType] | None = strawberry.field(default=None, description=(
        "Default: every type."))
    reporter_ids: list[strawberry.ID] | None = None
    incident_types: list[IncidentType] | None = None


@strawberry.interface(description=(
    "One entry of the durable event log, as a subscription delivers it. Subscribe again with "
    "`after: cursor` to resume after it."))
class LiveEvent:
    item: strawberry.Private[dict[str, Any]]

    @strawberry.field(description="The event's place in the log (pass it as `after`).")
    def cursor(self) -> str:
        return str(self.item["seq"])

    @strawberry.field
    def at(self) -> datetime:
        moment: datetime = self.item["at"]
        return moment

    @strawberry.field
    def report_id(self) -> strawberry.ID:
        return strawberry.ID(str(self.item["reportId"]))

    @strawberry.field(description=(
        "Who: the ESP, the analyst (for a referral, who referred it), the worker or the "
        "investigator."))
    def by(self) -> str | None:
        return self.item.get("by")

    @strawberry.field(description=(
        "Why: the referral's reason, the ESP's escalation, or the suggestion's basis."))
    def reason(self) -> str | None:
        return self.item.get("reason")

    @strawberry.field(description="The agency (referrals and outcomes).")
    async def agency(self, info: Info[Context, None]) -> Agency | None:
        agency_id = self.item.get("agencyId")
        node = await info.context.loaders.agencies_by_id.load(agency_id) if agency_id else None
        return Agency(node=node) if node else None

    @strawberry.field(description=(
        "The report as it is now, with the fields your token's scopes allow (the same rules "
        "as `report`)."))
    async def report(self, info: Info[Context, None]) -> Report | None:
        return await load_report(info, int(self.item["reportId"]))


@strawberry.type(description=(
    "Something analysts should hear about now: a new submission (SUBMITTED), an escalation "
    "(ESCALATED: the ESP's escalateToHighPriority, or an analyst setting P1), an automated P1 "
    "suggestion (PRIORITY_SUGGESTED), or an agency's outcome feedback (OUTCOME_RECORDED)."))
class ReportEvent(LiveEvent):
    @strawberry.field
    def type(self) -> ReportEventType:
        return ReportEventType(self.item["type"])

    @strawberry.field(description="ESP, ANALYST, AUTOMATED or LAW_ENFORCEMENT.")
    def source(self) -> str | None:
        return self.item.get("source")

    @strawberry.field
    def priority(self) -> Priority | None:
        value = self.item.get("priority")
        return Priority[value] if value else None

    @strawberry.field
    def outcome(self) -> ReferralOutcome | None:
        value = self.item.get("outcome")
        return ReferralOutcome(value) if value else None


@strawberry.type(description="A report was referred to your agency.")
class ReferralEvent(LiveEvent):
    pass


def analyst_rule(principal: Principal,
                 given: ReportEventFilter | None) -> Callable[[Mapping[str, Any]], bool]:
    """The events an analyst hears: the analyst types, narrowed by the filter, under the row
    rule (analysts see every report)."""
    types = {t.value for t in given.types} if given and given.types else {
        t.value for t in ReportEventType}
    reporters = {str(r) for r in given.reporter_ids} if given and given.reporter_ids else None
    incidents = ({i.name for i in given.incident_types}
                 if given and given.incident_types else None)
    sees_all = principal.row_scope().sees_all

    def accepts(item: Mapping[str, Any]) -> bool:
        return (sees_all and item["type"] in types
                and (reporters is None or item.get("reporterId") in reporters)
                and (incidents is None or item.get("incidentType") in incidents))

    return accepts


def agency_rule(principal: Principal) -> Callable[[Mapping[str, Any]], bool]:
    """An agency hears of referrals to it, and of nothing else."""
    agency_id = principal.row_scope().agency_id

    def accepts(item: Mapping[str, Any]) -> bool:
        return (agency_id is not None and item["type"] == "REFERRED"
                and item.get("agencyId") == agency_id)

    return accepts


async def _delivered(info: Info[Context, None], principal: Principal, operation: str,
                     item: Mapping[str, Any]) -> None:
    """Record the delivery before it leaves, and give the event fresh loaders."""
    context = info.context
    client = context.request.client
    await context.services.audit.append(AuditRecord(
        subject=principal.subject, role=principal.role.value, agency_id=principal.agency_id,
        operation=operation, operation_type="subscription", query_hash="-",
        report_ids=(int(item["reportId"]),), outcome="OK", request_id=context.request_id,
        client_address=client.host if client else None, detail=f"event {item['seq']}"))
    context.fresh_loaders()


async def live(info: Info[Context, None], principal: Principal, operation: str,
               accepts: Callable[[Mapping[str, Any]], bool],
               after: str | None) -> AsyncGenerator[dict[str, Any], None]:
    """The hub's stream for one subscriber, audited, ending when the token stops being good."""
    services = info.context.services
    recheck = services.reads.subscription_recheck_seconds
    stream = services.events.stream(accepts, parse_cursor(after))
    pending: asyncio.Future[dict[str, Any]] | None = None
    checked = time.monotonic()
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(anext(stream))
            done, _ = await asyncio.wait({pending}, timeout=recheck)
            if not done or time.monotonic() - checked >= recheck:
                # expired or revoked since it connected: UNAUTHENTICATED ends the subscription
                await services.verifier.verify(info.context.token or "")
                checked = time.monotonic()
            if not done:
                continue
            try:
                item = pending.result()
            except StopAsyncIteration:
                return
            pending = None
            await _delivered(info, principal, operation, item)
            yield item
    finally:
        if pending is not None and not pending.done():
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                await pending
        await stream.aclose()


@strawberry.type
class Subscription:
    @strawberry.subscription(description=(
        "New work for analysts, live (graphql-transport-ws): submissions, escalations, P1 "
        "suggestions and agencies' outcome feedback. `after`: the cursor of the last event you "
        "received, to replay what you missed. Analysts only (report:read)."))
    async def report_events(self, info: Info[Context, None],
                            filter: ReportEventFilter | None = None,
                            after: str | None = None) -> AsyncGenerator[ReportEvent, None]:
        principal = info.context.require(Scope.REPORT_READ, Role.ANALYST)
        async for item in live(info, principal, "reportEvents", analyst_rule(principal, filter),
                               after):
            yield ReportEvent(item=item)

    @strawberry.subscription(description=(
        "Referrals to your agency, live (graphql-transport-ws). `after`: the cursor of the last "
        "event you received, to replay what you missed. Law enforcement (report:read)."))
    async def referral_events(self, info: Info[Context, None],
                              after: str | None = None) -> AsyncGenerator[ReferralEvent, None]:
        principal = info.context.require(Scope.REPORT_READ, Role.LE)
        async for item in live(info, principal, "referralEvents", agency_rule(principal),
                               after):
            yield ReferralEvent(item=item)
