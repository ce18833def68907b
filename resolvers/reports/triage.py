"""Analyst work on reports (notes now; priority and disposition build on the same pattern)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from authz.roles import Role, Scope
from graph import notes
from resolvers.context import Context
from resolvers.reports.resolvers import parse_report_id
from resolvers.reports.types import Note


@strawberry.type
class TriageMutations:
    @strawberry.mutation(description="Add a note to a report. Analysts only (report:triage).")
    async def add_note(self, info: Info[Context, None], report_id: strawberry.ID,
                       text: str) -> Note:
        principal = info.context.require(Scope.REPORT_TRIAGE, Role.ANALYST)
        info.context.mutating(principal)
        key = parse_report_id(report_id, "reportId")
        row = await notes.add_note(info.context.services.db, key, text, by=principal.subject,
                                   scope=principal.row_scope())
        info.context.touched_reports.add(key)
        return Note(id=strawberry.ID(row["id"]), text=row["text"], by=row["by"],
                    at=row["at"].to_native())
