"""ESP intake mutations: thin wrappers over the intake service (shared with /ispws)."""

from __future__ import annotations

import contextlib
from typing import Any

import strawberry
from strawberry.types import Info

from authz.roles import Scope
from resolvers.build import to_document
from resolvers.context import Context
from resolvers.reports.inputs import FileInput, OpenReportInput, SubmitReportInput
from resolvers.reports.resolvers import parse_report_id
from resolvers.reports.types import File, Report


async def _esp(info: Info[Context, None]) -> str:
    principal, esp_id = await info.context.registered_esp()
    principal.require(Scope.REPORT_SUBMIT)
    info.context.mutating(principal)
    return esp_id


def _report(info: Info[Context, None], node: dict[str, Any]) -> Report:
    """The report the write returned, primed into this request's loader (no second read)."""
    loader = info.context.loaders.reports_by_id
    with contextlib.suppress(KeyError):  # strawberry raises for a key it never cached
        loader.clear(node["id"])
    loader.prime(node["id"], info.context.touched(node))
    return Report(node=node)


@strawberry.type
class ReportMutations:
    @strawberry.mutation(description=(
        "Open a report (status OPEN). Add files with addFile, then finishReport. Replaying an "
        "idempotencyKey returns the original report. Requires an esp token (report:submit)."))
    async def open_report(self, info: Info[Context, None], input: OpenReportInput,
                          idempotency_key: str | None = None) -> Report:
        esp_id = await _esp(info)
        node = await info.context.services.intake.open_report(
            esp_id, to_document(input), idempotency_key)
        return _report(info, node)

    @strawberry.mutation(description=(
        "Open, add files and finish a report in one transaction. Replaying an idempotencyKey "
        "returns the original report. Requires an esp token (report:submit)."))
    async def submit_report(self, info: Info[Context, None], input: SubmitReportInput,
                            idempotency_key: str | None = None) -> Report:
        esp_id = await _esp(info)
        node = await info.context.services.intake.submit_report(
            esp_id, to_document(input), idempotency_key)
        return _report(info, node)

    @strawberry.mutation(description=(
        "Add a file to one of your open reports. Replaying an idempotencyKey returns the file "
        "the first request added (no second file)."))
    async def add_file(self, info: Info[Context, None], report_id: strawberry.ID,
                       input: FileInput, idempotency_key: str | None = None) -> File:
        esp_id = await _esp(info)
        key = parse_report_id(report_id, "reportId")
        node = await info.context.services.intake.add_file(
            esp_id, key, to_document(input), idempotency_key=idempotency_key)
        return File(node=node)

    @strawberry.mutation(description=(
        "Finish an open report: it becomes SUBMITTED, immutable, and is preserved for a year. "
        "Finishing a finished report is a CONFLICT, unless it replays the idempotencyKey that "
        "finished it (a retry after a lost answer): that returns the report."))
    async def finish_report(self, info: Info[Context, None], report_id: strawberry.ID,
                            idempotency_key: str | None = None) -> Report:
        esp_id = await _esp(info)
        key = parse_report_id(report_id, "reportId")
        return _report(info, await info.context.services.intake.finish_report(
            esp_id, key, idempotency_key))

    @strawberry.mutation(description=(
        "Cancel (retract) an open report. Replaying an idempotencyKey returns the report."))
    async def cancel_report(self, info: Info[Context, None], report_id: strawberry.ID,
                            idempotency_key: str | None = None) -> Report:
        esp_id = await _esp(info)
        key = parse_report_id(report_id, "reportId")
        return _report(info, await info.context.services.intake.cancel_report(
            esp_id, key, idempotency_key))
