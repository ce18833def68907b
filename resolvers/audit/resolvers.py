"""auditEvents: the trail, newest first, for role auditor (scope audit:read)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from authz.roles import Role, Scope
from graph.audit.trail import events_page
from graph.core.errors import BadInput
from resolvers.audit.types import AuditEvent, AuditEventConnection, AuditEventEdge, AuditEventFilter
from resolvers.context import Context
from resolvers.paging import PageInfo
from resolvers.reports.resolvers import parse_report_id


def _event(node: dict[str, Any]) -> AuditEvent:
    return AuditEvent(
        id=strawberry.ID(node["id"]), seq=node["seq"], at=node["at"].to_native(),
        subject=node["subject"], role=node["role"], agency_id=node.get("agencyId"),
        operation=node["operation"], operation_type=node["operationType"],
        query_hash=node["queryHash"],
        report_ids=[strawberry.ID(str(i)) for i in node.get("reportIds") or []],
        asked_report_ids=[strawberry.ID(str(i)) for i in node.get("askedReportIds") or []],
        variables_hash=node.get("variablesHash"), detail=node.get("detail"),
        denied_fields=list(node.get("deniedFields") or []), outcome=node["outcome"],
        client_address=node.get("clientAddress"), request_id=node["requestId"],
        prev_hash=node["prevHash"], hash=node["hash"])


async def audit_events(info: Info[Context, None], filter: AuditEventFilter | None = None,
                       first: int | None = None, after: str | None = None) -> AuditEventConnection:
    info.context.require(Scope.AUDIT_READ, Role.AUDITOR)
    settings = info.context.services.reads
    size = settings.default_page_size if first is None else first
    if not 0 <= size <= settings.max_page_size:
        raise BadInput(f"first must be between 0 and {settings.max_page_size}", field="first")
    if after is not None and not (after.isascii() and after.isdigit() and len(after) <= 18):
        raise BadInput("the cursor is not one this API returned", field="after")
    given = filter or AuditEventFilter()
    rows = await events_page(
        info.context.services.db, subject=given.subject,
        report_id=parse_report_id(given.report_id, "reportId") if given.report_id else None,
        since=given.since, until=given.until, before=int(after) if after else None,
        limit=size + 1)
    events = [_event(row) for row in rows[:size]]
    edges = [AuditEventEdge(cursor=str(e.seq), node=e) for e in events]
    page = PageInfo(has_next_page=len(rows) > size,
                    end_cursor=edges[-1].cursor if edges else None)
    return AuditEventConnection(edges=edges, page_info=page, has_next_page=page.has_next_page,
                                end_cursor=page.end_cursor)
