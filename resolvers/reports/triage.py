"""Analyst work on reports (notes now; priority and disposition build on the same pattern)."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry
from strawberry.types import Info

from authz.principal import Principal
from authz.roles import Role, Scope
from graph.core.errors import BadInput
from graph.core.idempotency import Replay
from graph.reports import retention
from graph.triage import enrichment, notes
from graph.triage import service as triage
from resolvers.context import REPLAYS, Context
from resolvers.enums import Disposition, Priority
from resolvers.reports.resolvers import parse_report_id, require_report
from resolvers.reports.types import Note, Report


@strawberry.type
class TriageMutations:
    @strawberry.mutation(description=(
        "Add a note to a report. Analysts only (report:triage). " + REPLAYS))
    async def add_note(self, info: Info[Context, None], report_id: strawberry.ID,
                       text: str, idempotency_key: str | None = None) -> Note:
        principal, key = _analyst(info, Scope.REPORT_TRIAGE, report_id, "reportId")
        change = info.context.change(principal, idempotency_key, "ADD_NOTE", key, text)
        row = await notes.add_note(info.context.services.db, key, text, by=principal.subject,
                                   rows=principal.row_scope(), change=change)
        info.context.touched_reports.add(key)
        if isinstance(row, Replay):
            await require_report(info, key)
            [row] = [n for n in await info.context.loaders.notes_by_report_id.load(key)
                     if n["id"] == row.target]
        return Note(id=strawberry.ID(row["id"]), text=row["text"], by=row["by"],
                    at=row["at"].to_native())


@strawberry.type
class DispositionMutations:
    @strawberry.mutation(description=(
        "Set a submitted report's priority (P1 imminent danger, P2, P3, or UNSET), recorded "
        "with who, when and why. Requires report:triage. " + REPLAYS))
    async def set_priority(self, info: Info[Context, None], report_id: strawberry.ID,
                           priority: Priority, reason: str,
                           idempotency_key: str | None = None) -> Report:
        principal, key = _analyst(info, Scope.REPORT_TRIAGE, report_id, "reportId")
        await triage.set_priority(info.context.services.db, key, priority.value, reason=reason,
                                  by=principal.subject, rows=principal.row_scope(),
                                  change=info.context.change(principal, idempotency_key,
                                                             "SET_PRIORITY", key,
                                                             priority.value, reason))
        info.context.services.events.poke()
        return await require_report(info, key, changed=True)

    @strawberry.mutation(description=(
        "Decide a submitted report: REFERRAL (to law enforcement) or INFORMATIONAL, recorded "
        "with who, when and why. Requires report:refer. " + REPLAYS))
    async def set_disposition(self, info: Info[Context, None], report_id: strawberry.ID,
                              disposition: Disposition, reason: str,
                              idempotency_key: str | None = None) -> Report:
        principal, key = _analyst(info, Scope.REPORT_REFER, report_id, "reportId")
        if disposition is Disposition.PENDING:
            raise BadInput("a disposition is REFERRAL or INFORMATIONAL", field="disposition")
        await triage.set_disposition(info.context.services.db, key, disposition.value,
                                     reason=reason, by=principal.subject,
                                     rows=principal.row_scope(),
                                     change=info.context.change(
                                         principal, idempotency_key, "SET_DISPOSITION", key,
                                         disposition.value, reason))
        return await require_report(info, key, changed=True)

    @strawberry.mutation(description=(
        "Label a file as an analyst, with the basis (e.g. 'viewed the file'), under a "
        "classification scheme (ANALYST unless given: INDUSTRY, INTERPOL, NATIONAL:CC; see "
        "classificationSchemes); a label outside the scheme's vocabulary is BAD_USER_INPUT. "
        "The label sits beside the ESP's, never replacing it. Requires report:triage. "
        + REPLAYS))
    async def classify_file(self, info: Info[Context, None], file_id: strawberry.ID,
                            label: str, basis: str, scheme: str = "ANALYST",
                            idempotency_key: str | None = None) -> Report:
        principal, key = _analyst(info, Scope.REPORT_TRIAGE, file_id, "fileId")
        report_id = await triage.classify_file(info.context.services.db, key, label,
                                               basis=basis, by=principal.subject,
                                               scheme=scheme,
                                               rows=principal.row_scope(),
                                               change=info.context.change(
                                                   principal, idempotency_key, "CLASSIFY_FILE",
                                                   key, label, basis, scheme))
        return await require_report(info, report_id, changed=True)


    @strawberry.mutation(description=(
        "Set a report's jurisdiction as an analyst (basis ANALYST_OVERRIDE), beside the "
        "computed ones. Requires report:triage. " + REPLAYS))
    async def set_report_jurisdiction(self, info: Info[Context, None], report_id: strawberry.ID,
                                      code: str, reason: str,
                                      idempotency_key: str | None = None) -> Report:
        principal, key = _analyst(info, Scope.REPORT_TRIAGE, report_id, "reportId")
        await require_report(info, key)  # NOT_FOUND before anything is written
        await enrichment.override_jurisdiction(info.context.services.db, key, code,
                                               reason=reason, by=principal.subject,
                                               change=info.context.change(
                                                   principal, idempotency_key,
                                                   "SET_JURISDICTION", key, code, reason))
        return await require_report(info, key, changed=True)


    @strawberry.mutation(description=(
        "Keep a report's file content past its preservation period (e.g. legal process is "
        "pending). Requires report:triage. " + REPLAYS))
    async def place_legal_hold(self, info: Info[Context, None], report_id: strawberry.ID,
                               reason: str, idempotency_key: str | None = None) -> Report:
        return await _hold(info, report_id, reason, idempotency_key, place=True)

    @strawberry.mutation(description="Release a legal hold. Requires report:triage. " + REPLAYS)
    async def release_legal_hold(self, info: Info[Context, None], report_id: strawberry.ID,
                                 reason: str, idempotency_key: str | None = None) -> Report:
        return await _hold(info, report_id, reason, idempotency_key, place=False)


async def _hold(info: Info[Context, None], report_id: strawberry.ID, reason: str,
                idempotency_key: str | None, *, place: bool) -> Report:
    principal, key = _analyst(info, Scope.REPORT_TRIAGE, report_id, "reportId")
    change = info.context.change(principal, idempotency_key,
                                 "PLACE_HOLD" if place else "RELEASE_HOLD", key, reason)
    await retention.legal_hold(info.context.services.db, key, place=place, reason=reason,
                               by=principal.subject, now=datetime.now(UTC),
                               rows=principal.row_scope(), change=change)
    return await require_report(info, key, changed=True)


def _analyst(info: Info[Context, None], scope: Scope, target: strawberry.ID,
             field: str) -> tuple[Principal, int]:
    """The calling analyst (holding ``scope``, within its mutation rate) and the target id."""
    principal = info.context.require(scope, Role.ANALYST)
    info.context.mutating(principal)
    return principal, parse_report_id(target, field)
