"""ESP intake mutations: thin wrappers over graph.intake.IntakeService (shared with /ispws)."""

from __future__ import annotations

import contextlib

import strawberry
from strawberry.types import Info

from authz.roles import Scope
from graph.errors import NotFound
from resolvers.build import to_document
from resolvers.context import Context
from resolvers.reports.inputs import FileInput, OpenReportInput, SubmitReportInput
from resolvers.reports.resolvers import parse_report_id
from resolvers.reports.types import File, Report


async def _esp(info: Info[Context, None]) -> str:
    principal, esp_id = await info.context.registered_esp()
    principal.require(Scope.REPORT_SUBMIT)
    return esp_id


async def _reload(info: Info[Context, None], report_id: int) -> Report:
    loader = info.context.loaders.reports_by_id
    with contextlib.suppress(KeyError):  # strawberry raises for a key it never cached
        loader.clear(report_id)
    node = await loader.load(report_id)
    if node is None:
        raise NotFound(f"report {report_id} does not exist")
    return Report(node=node)


@strawberry.type
class ReportMutations:
    @strawberry.mutation(description=(
        "Open a report (status OPEN). Add files with addFile, then finishReport. Replaying an "
        "idempotencyKey returns the original report. Requires an esp token (report:submit)."))
    async def open_report(self, info: Info[Context, None], input: OpenReportInput,
                          idempotency_key: str | None = None) -> Report:
        esp_id = await _esp(info)
        report_id = await info.context.services.intake.open_report(
            esp_id, to_document(input), idempotency_key)
        return await _reload(info, report_id)

    @strawberry.mutation(description=(
        "Open, add files and finish a report in one transaction. Replaying an idempotencyKey "
        "returns the original report. Requires an esp token (report:submit)."))
    async def submit_report(self, info: Info[Context, None], input: SubmitReportInput,
                            idempotency_key: str | None = None) -> Report:
        esp_id = await _esp(info)
        report_id = await info.context.services.intake.submit_report(
            esp_id, to_document(input), idempotency_key)
        return await _reload(info, report_id)

    @strawberry.mutation(description="Add a file to one of your open reports.")
    async def add_file(self, info: Info[Context, None], report_id: strawberry.ID,
                       input: FileInput) -> File:
        esp_id = await _esp(info)
        key = parse_report_id(report_id, "reportId")
        file_id = await info.context.services.intake.add_file(esp_id, key, to_document(input))
        files = await info.context.loaders.files_by_report_id.load(key)
        return File(node=next(f for f in files if f["id"] == file_id))

    @strawberry.mutation(description=(
        "Finish an open report: it becomes SUBMITTED, immutable, and is preserved for a year."))
    async def finish_report(self, info: Info[Context, None], report_id: strawberry.ID) -> Report:
        esp_id = await _esp(info)
        key = parse_report_id(report_id, "reportId")
        await info.context.services.intake.finish_report(esp_id, key)
        return await _reload(info, key)

    @strawberry.mutation(description="Cancel (retract) an open report.")
    async def cancel_report(self, info: Info[Context, None], report_id: strawberry.ID) -> Report:
        esp_id = await _esp(info)
        key = parse_report_id(report_id, "reportId")
        await info.context.services.intake.cancel_report(esp_id, key)
        return await _reload(info, key)
