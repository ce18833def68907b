"""The AuditEvent type."""

from __future__ import annotations

from datetime import datetime

import strawberry

from resolvers.paging import PageInfo


@strawberry.type(description=(
    "One operation by a person: who, when, what, from where, and the outcome. Events are "
    "hash-chained (prevHash -> hash); `tipgraph audit verify` checks the chain."))
class AuditEvent:
    id: strawberry.ID
    seq: int
    at: datetime
    subject: str
    role: str
    agency_id: str | None
    operation: str
    operation_type: str
    query_hash: str
    report_ids: list[strawberry.ID] = strawberry.field(description=(
        "The reports the response carried."))
    asked_report_ids: list[strawberry.ID] = strawberry.field(description=(
        "Reports asked for that the response did not carry: refused, or not there."))
    variables_hash: str | None = strawberry.field(description=(
        "SHA-256 of the operation's variables (canonical JSON); queryHash covers its text."))
    denied_fields: list[str]
    detail: str | None = strawberry.field(description=(
        "What else the event records: a referral package's digests, or why a download was "
        "refused."))
    outcome: str
    client_address: str | None
    request_id: str
    prev_hash: str
    hash: str


@strawberry.type
class AuditEventEdge:
    cursor: str
    node: AuditEvent


@strawberry.type
class AuditEventConnection:
    edges: list[AuditEventEdge]
    page_info: PageInfo
    has_next_page: bool = strawberry.field(description="The same as pageInfo.hasNextPage.")
    end_cursor: str | None = strawberry.field(description="The same as pageInfo.endCursor.")


@strawberry.input
class AuditEventFilter:
    subject: str | None = None
    report_id: strawberry.ID | None = None
    since: datetime | None = None
    until: datetime | None = None
