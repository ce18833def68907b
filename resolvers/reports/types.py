"""Report, File and their links, as the API shows them. Nested lists load through DataLoaders."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, Final, TypeVar

import strawberry
from strawberry.permission import PermissionExtension
from strawberry.types import Info

from authz.fields import HasScope, IsAnalyst, ReadsReferrals, SeesEveryReport
from authz.roles import Role, Scope
from graph.core.errors import BadInput
from graph.identifiers.crossrefs import cross_references, score_description
from graph.matching.near import basis_for
from graph.matching.schemes import Scheme, described, scheme_of, scheme_order
from graph.reports.outward import FILE_FIELDS, REPORT_FIELDS, REPORT_PARTS
from graph.triage.provenance import label_summary
from graph.triage.service import history_for
from resolvers.build import build, native, required
from resolvers.context import Context
from resolvers.enums import (
    BatchReason,
    Disposition,
    FileAnnotation,
    FileRelevance,
    IdentifierKind,
    IncidentType,
    IndustryClassification,
    MentionRole,
    Priority,
    ReferralOutcome,
    ReportAnnotation,
    ReportStatus,
)
from resolvers.paging import PageInfo
from resolvers.reports.parts import (
    DeviceId,
    FileDetailsGroup,
    IntendedRecipient,
    InternetDetails,
    IpCaptureEvent,
    LawEnforcement,
    ReportedPerson,
    ReporterContact,
    Victim,
)

if TYPE_CHECKING:
    from resolvers.identifiers.types import Identifier
    from resolvers.referrals.packages import ReferralPackage

from resolvers.agencies.types import Agency, Jurisdiction, Referral

T = TypeVar("T")


def _parts(cls: type[T], raw: str | None) -> list[T] | None:
    return [build(cls, item) for item in json.loads(raw)] if raw else None


def _part(cls: type[T], raw: str | None) -> T | None:
    return build(cls, json.loads(raw)) if raw else None


@strawberry.type(description="An ESP registered to submit reports.")
class Reporter:
    id: strawberry.ID
    name: str


@strawberry.type(description="A hash of a file, tagged with its algorithm.")
class Hash:
    algorithm: str
    value: str
    source: str = strawberry.field(description=(
        "Who computed it: ESP (sent with the report) or TIPGRAPH (from the bytes received)."))


@strawberry.type(description=(
    "A label and its provenance: who said so (source and by), when, and on what basis."))
class Classification:
    row: strawberry.Private[dict[str, Any]]  # the Classification node's properties

    @strawberry.field
    def label(self) -> str:
        return str(self.row["label"])

    @strawberry.field(description=(
        "ESP, ANALYST, AUTOMATED, or MATCH: a file's hash is on a hash list, whose name, "
        "version and organisation are in `by` and `basis`. A match is a suggestion, never a "
        "verdict, and overrides no one's label."))
    def source(self) -> str:
        return str(self.row["source"])

    @strawberry.field
    def by(self) -> str:
        return str(self.row["by"])

    @strawberry.field
    def at(self) -> datetime:
        return required(self.row["at"])

    @strawberry.field(description=(
        "On what basis. A near-duplicate match on a file an analyst labelled names that file, "
        "its report and the analyst only to readers who see every report; others read "
        "\"matches a file labelled B1 by an analyst\", which reveals no other report."))
    def basis(self, info: Info[Context, None]) -> str | None:
        principal = info.context.principal
        return basis_for(self.row, sees_all=principal is not None
                         and principal.row_scope().sees_all)

    @strawberry.field(description=(
        "When the hash list version behind a MATCH was retired: the label stays in the file's "
        "history and no longer counts as a suggestion."))
    def retired_at(self) -> datetime | None:
        return native(self.row.get("retiredAt"))

    @strawberry.field(description=(
        "The classification scheme the label belongs to: INDUSTRY, INTERPOL, NATIONAL:CC or "
        "ANALYST (see classificationSchemes)."))
    def scheme(self) -> str | None:
        return scheme_of(self.row)


@strawberry.type(description="A term of a classification scheme's vocabulary.")
class ClassificationTerm:
    label: str
    meaning: str


@strawberry.type(description=(
    "A classification scheme: its name, what it means, and its vocabulary. Labels of several "
    "schemes sit side by side on a file (the industry categories, the INTERPOL baseline, a "
    "country's law, the analysts' own)."))
class ClassificationScheme:
    name: str
    description: str
    open: bool = strawberry.field(description=(
        "Whether labels outside the terms are allowed (the analysts' own categories)."))
    terms: list[ClassificationTerm]

    @classmethod
    def of(cls, scheme: Scheme) -> ClassificationScheme:
        return cls(name=scheme.name, description=scheme.description, open=scheme.open,
                   terms=[ClassificationTerm(label=t.label, meaning=t.meaning)
                          for t in scheme.terms])


@strawberry.type(description="One scheme's labels on a file, each with its provenance.")
class SchemeLabels:
    scheme: ClassificationScheme
    labels: list[Classification]


@strawberry.type(description=(
    "A file of a report. Its labels always travel with viewedByEsp, exifViewedByEsp and "
    "publiclyAvailable: the facts that decide how a label may be read."))
class File:
    node: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.node["id"]))

    @strawberry.field
    def file_name(self) -> str | None:
        return self.node.get(FILE_FIELDS["fileName"])

    @strawberry.field
    def original_file_name(self) -> str | None:
        return self.node.get(FILE_FIELDS["originalFileName"])

    @strawberry.field
    def location_of_file(self) -> str | None:
        return self.node.get(FILE_FIELDS["locationOfFile"])

    @strawberry.field
    def uploaded_to_esp_timestamp(self) -> datetime | None:
        return native(self.node.get(FILE_FIELDS["uploadedToEspTimestamp"]))

    @strawberry.field(description="Did anyone at the ESP view the whole file? null: not said.")
    def viewed_by_esp(self) -> bool | None:
        return self.node.get(FILE_FIELDS["viewedByEsp"])

    @strawberry.field(description="Did anyone at the ESP view the file's EXIF data?")
    def exif_viewed_by_esp(self) -> bool | None:
        return self.node.get(FILE_FIELDS["exifViewedByEsp"])

    @strawberry.field(description="Was the whole file publicly accessible online?")
    def publicly_available(self) -> bool | None:
        return self.node.get(FILE_FIELDS["publiclyAvailable"])

    @strawberry.field
    def relevance(self) -> FileRelevance:
        return FileRelevance[self.node.get("relevance", "REPORTED")]

    @strawberry.field
    def annotations(self) -> list[FileAnnotation]:
        return [FileAnnotation[a] for a in self.node.get("annotations") or ()]

    @strawberry.field(description="The ESP's industry classification as it sent it.")
    def industry_classification(self) -> IndustryClassification | None:
        value = self.node.get(FILE_FIELDS["industryClassification"])
        return IndustryClassification[value] if value else None

    @strawberry.field
    def ip_capture_event(self) -> IpCaptureEvent | None:
        return _part(IpCaptureEvent, self.node.get("ipCaptureEvent"))

    @strawberry.field
    def device_ids(self) -> list[DeviceId] | None:
        return _parts(DeviceId, self.node.get("deviceIds"))

    @strawberry.field
    def details(self) -> list[FileDetailsGroup] | None:
        return _parts(FileDetailsGroup, self.node.get("details"))

    @strawberry.field
    def additional_info(self) -> list[str] | None:
        return self.node.get("additionalInfo")

    @strawberry.field(description=(
        "Bytes received by upload (the CyberTipline door); a Float, as GraphQL's Int is 32-bit."))
    def size_bytes(self) -> float | None:
        size = self.node.get("sizeBytes")
        return None if size is None else float(size)

    @strawberry.field(description="When the bytes were received by upload.")
    def uploaded_at(self) -> datetime | None:
        return native(self.node.get("uploadedAt"))

    @strawberry.field(description=(
        "Whether tipgraph holds the file's bytes (encrypted at rest). False when none were "
        "uploaded, or after retention, retraction or expiry purged them (contentPurgedAt)."))
    def content_stored(self) -> bool:
        return self.node.get("contentRef") is not None

    @strawberry.field(description="When the bytes were deleted (metadata and hashes stay).")
    def content_purged_at(self) -> datetime | None:
        return native(self.node.get("contentPurgedAt"))

    @strawberry.field
    async def hashes(self, info: Info[Context, None]) -> list[Hash]:
        rows = await info.context.loaders.hashes_by_file_id.load(self.node["id"])
        return [Hash(algorithm=h["algorithm"], value=h["value"], source=h["source"] or "ESP")
                for h in rows]

    @strawberry.field(description="Every label on the file, each with its provenance.")
    async def classifications(self, info: Info[Context, None]) -> list[Classification]:
        rows = await info.context.loaders.classifications_by_file_id.load(self.node["id"])
        return [Classification(row=c) for c in rows]

    @strawberry.field(description=(
        "The file's labels grouped by classification scheme, side by side: industry, "
        "INTERPOL, national law by country, the analysts' own."))
    async def labels_by_scheme(self, info: Info[Context, None]) -> list[SchemeLabels]:
        rows = await info.context.loaders.classifications_by_file_id.load(self.node["id"])
        groups: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            groups.setdefault(scheme_of(row) or "UNKNOWN", []).append(row)
        return [SchemeLabels(scheme=ClassificationScheme.of(described(name)),
                             labels=[Classification(row=c) for c in groups[name]])
                for name in sorted(groups, key=scheme_order)]


@strawberry.type(description="One mention of an identifier by a report, with its capture facts.")
class ReportIdentifier:
    mention: strawberry.Private[dict[str, Any]]
    identifier_node: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def role(self) -> MentionRole:
        return MentionRole[self.mention["role"]]

    @strawberry.field(description="Which party (index in its list) the identifier belongs to.")
    def party(self) -> int | None:
        return self.mention.get("party")

    @strawberry.field(description="The capture event (LOGIN, UPLOAD, ...) for IPs and devices.")
    def event(self) -> str | None:
        return self.mention.get("event")

    @strawberry.field
    def at(self) -> datetime | None:
        return native(self.mention.get("at"))

    @strawberry.field
    def port(self) -> int | None:
        return self.mention.get("port")

    @strawberry.field
    def possible_proxy(self) -> bool | None:
        return self.mention.get("possibleProxy")

    @strawberry.field(description="The file this identifier came from, for role FILE.")
    def file_id(self) -> strawberry.ID | None:
        file_id = self.mention.get("fileId")
        return strawberry.ID(str(file_id)) if file_id is not None else None

    @strawberry.field(description="Who supplied the link: ESP, ANALYST or AUTOMATED.")
    def source(self) -> str:
        return str(self.mention.get("source", "ESP"))

    @strawberry.field
    def identifier(self) -> Annotated[Identifier, strawberry.lazy("resolvers.identifiers.types")]:
        from resolvers.identifiers.types import Identifier

        return Identifier.from_node(self.identifier_node)


@strawberry.federation.type(keys=["id"], description=(
    "A CyberTipline report: opened by an ESP, finished (SUBMITTED) or cancelled, then triaged."))
class Report:
    node: strawberry.Private[dict[str, Any]]

    @classmethod
    async def resolve_reference(cls, info: Info[Context, None], id: strawberry.ID) -> Report | None:
        from resolvers.reports.resolvers import load_report

        return await load_report(info, id)

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.node["id"]))

    @strawberry.field
    def status(self) -> ReportStatus:
        return ReportStatus[self.node["status"]]

    @strawberry.field
    def incident_type(self) -> IncidentType:
        return IncidentType[self.node[REPORT_FIELDS["incidentType"]]]

    @strawberry.field
    def incident_date_time(self) -> datetime:
        return required(self.node[REPORT_FIELDS["incidentDateTime"]])

    @strawberry.field
    def incident_date_time_description(self) -> str | None:
        return self.node.get(REPORT_FIELDS["incidentDateTimeDescription"])

    @strawberry.field
    def platform(self) -> str | None:
        return self.node.get(REPORT_FIELDS["platform"])

    @strawberry.field(description="The ESP's reason for urgency, when it escalated the report.")
    def escalate_to_high_priority(self) -> str | None:
        return self.node.get(REPORT_FIELDS["escalateToHighPriority"])

    @strawberry.field
    def annotations(self) -> list[ReportAnnotation]:
        return [ReportAnnotation[a] for a in self.node.get("annotations") or ()]

    @strawberry.field
    def additional_info(self) -> str | None:
        return self.node.get(REPORT_FIELDS["additionalInfo"])

    @strawberry.field
    def batch_reason(self) -> BatchReason | None:
        value = self.node.get(REPORT_FIELDS["batchReason"])
        return BatchReason[value] if value else None

    @strawberry.field
    def opened_at(self) -> datetime:
        return required(self.node[REPORT_FIELDS["openedAt"]])

    @strawberry.field
    def modified_at(self) -> datetime:
        return required(self.node["modifiedAt"])

    @strawberry.field(description="When an open report expires unless finished.")
    def expires_at(self) -> datetime | None:
        return native(self.node.get("expiresAt")) if self.node["status"] == "OPEN" else None

    @strawberry.field
    def finished_at(self) -> datetime | None:
        return native(self.node.get(REPORT_FIELDS["finishedAt"]))

    @strawberry.field
    def cancelled_at(self) -> datetime | None:
        return native(self.node.get("cancelledAt"))

    @strawberry.field(description="A finished report is preserved for one year after finishing.")
    def preserve_until(self) -> datetime | None:
        return native(self.node.get(REPORT_FIELDS["preserveUntil"]))

    @strawberry.field
    async def reporter(self, info: Info[Context, None]) -> Reporter:
        row = await info.context.loaders.reporters_by_id.load(self.node["reporterId"])
        name = row["name"] if row else self.node["reporterId"]
        return Reporter(id=strawberry.ID(self.node["reporterId"]), name=name)

    @strawberry.field(description=(
        "The report's files: what the ESP said of each, hashes and labels with provenance. "
        "Requires files:read."),
        extensions=[PermissionExtension(permissions=[HasScope(Scope.FILES_READ)])])
    async def files(self, info: Info[Context, None]) -> list[File] | None:
        rows = await info.context.loaders.files_by_report_id.load(self.node["id"])
        return [File(node=row) for row in rows]

    @strawberry.field(description=(
        "Every identifier the report mentions, with role and capture. The hashes of its files "
        "(role FILE) are listed only with files:read."))
    async def identifiers(self, info: Info[Context, None]) -> list[ReportIdentifier]:
        rows = await info.context.loaders.mentions_by_report_id.load(self.node["id"])
        principal = info.context.principal
        files = principal is not None and principal.has(Scope.FILES_READ)
        return [ReportIdentifier(mention=row["mention"], identifier_node=row["identifier"])
                for row in rows if files or row["mention"].get("role") != "FILE"]

    @strawberry.field
    def reported_people(self) -> list[ReportedPerson]:
        return _parts(ReportedPerson, self.node.get("reportedPeople")) or []

    @strawberry.field
    def intended_recipients(self) -> list[IntendedRecipient]:
        return _parts(IntendedRecipient, self.node.get("intendedRecipients")) or []

    @strawberry.field
    def victims(self) -> list[Victim]:
        return _parts(Victim, self.node.get("victims")) or []

    @strawberry.field
    def internet_details(self) -> list[InternetDetails]:
        return _parts(InternetDetails, self.node.get("internetDetails")) or []

    @strawberry.field
    def law_enforcement(self) -> LawEnforcement | None:
        return _part(LawEnforcement, self.node.get("lawEnforcement"))

    @strawberry.field
    def reporter_contact(self) -> ReporterContact | None:
        return _part(ReporterContact, self.node.get("reporterContact"))

    @strawberry.field(description=(
        "Who referred the report to which agency, when and why, and each outcome the agency "
        "reported back. Analysts see every referral; an agency sees its own; the reporting "
        "ESP none."),
        extensions=[PermissionExtension(permissions=[ReadsReferrals()], fail_silently=True)])
    async def referrals(self, info: Info[Context, None]) -> list[Referral]:
        rows = await info.context.loaders.referrals_by_report_id.load(self.node["id"])
        return [Referral.from_row(row) for row in rows]

    @strawberry.field(description="The analyst's priority; UNSET until triaged.")
    def priority(self) -> Priority:
        return Priority[self.node.get("priority") or "UNSET"]

    @strawberry.field(description="PENDING until an analyst decides.")
    def disposition(self) -> Disposition:
        return Disposition[self.node.get("disposition") or "PENDING"]

    @strawberry.field(description=(
        "Every change in order: the ESP's opening and finishing, then each analyst action "
        "with who, when and why."))
    async def history(self, info: Info[Context, None]) -> list[HistoryEntry]:
        reporter = self.node["reporterId"]
        entries = [HistoryEntry(kind="OPENED", at=required(self.node["openedAt"]),
                                source="ESP", by=reporter)]
        for kind, key in (("SUBMITTED", "finishedAt"), ("CANCELLED", "cancelledAt")):
            if self.node.get(key) is not None:
                entries.append(HistoryEntry(kind=kind, at=required(self.node[key]),
                                            source="ESP", by=reporter))
        principal = info.context.principal
        agency = principal.agency_id if principal and principal.role is Role.LE else None
        for row in await info.context.loaders.events_by_report_id.load(self.node["id"]):
            if not history_for(row, analyst=bool(principal and principal.role is Role.ANALYST),
                               agency_id=agency):
                continue
            file_id = row.get("fileId")
            entries.append(HistoryEntry(
                kind=row["kind"], at=required(row["at"]), source=row["source"], by=row["by"],
                reason=row.get("reason"), before=row.get("before"), after=row.get("after"),
                file_id=strawberry.ID(str(file_id)) if file_id is not None else None))
        return sorted(entries, key=lambda e: e.at)

    @strawberry.field(description=(
        "One plain sentence: for each file, whether anyone at the ESP viewed it, and who "
        "labelled it what (ESP, analyst, automated). Show it as it is. Requires files:read."),
        extensions=[PermissionExtension(permissions=[HasScope(Scope.FILES_READ)])])
    async def label_summary(self, info: Info[Context, None]) -> str | None:
        files = await info.context.loaders.files_by_report_id.load(self.node["id"])
        labels = await info.context.loaders.classifications_by_file_id.load_many(
            [f["id"] for f in files])
        return label_summary([{**f, "classifications": c} for f, c in zip(files, labels,
                                                                          strict=True)])

    @strawberry.field(description=(
        "Reports you may see that share identifiers with this one, best first. Common "
        "identifiers (more than TIPGRAPH_COMMON_IDENTIFIER_REPORTS reports) are left out "
        "unless includeCommon."))
    async def cross_references(self, info: Info[Context, None], first: int = 20,
                               include_common: bool = False) -> list[CrossReference]:
        from resolvers.identifiers.types import Identifier

        principal = info.context.authenticated()
        if not 0 <= first <= info.context.services.reads.max_page_size:
            raise BadInput("first must be between 0 and the page cap", field="first")
        info.context.services.limiter.check("expensive", principal.subject)
        rows = await cross_references(
            info.context.services.db, self.node["id"], rows=principal.row_scope(),
            threshold=info.context.services.reads.common_identifier_reports,
            include_common=include_common, first=first)
        return [CrossReference(report=Report(node=info.context.touched(row["report"])),
                               shared=[Identifier(node=s["identifier"]) for s in row["shared"]],
                               score=row["score"], explanation=row["explanation"])
                for row in rows]

    @strawberry.field(description="Why the report's file content is kept past preserveUntil.")
    def legal_hold(self) -> str | None:
        return self.node.get("legalHold")

    @strawberry.field(description="When retention purged the file content (metadata stays).")
    def content_purged_at(self) -> datetime | None:
        return native(self.node.get("contentPurgedAt"))

    @strawberry.field(description="The viral-content bundle this report belongs to, if any.")
    async def bundle(self, info: Info[Context, None]) -> Bundle | None:
        bundle_id = self.node.get("bundleId")
        row = await info.context.loaders.bundles_by_id.load(bundle_id) if bundle_id else None
        if not row:
            return None
        return Bundle(id=strawberry.ID(row["id"]), report_count=row["reportCount"],
                      first_seen=native(row.get("firstSeen")),
                      last_seen=native(row.get("lastSeen")), hash_node=row["hash"])

    @strawberry.field(description="Enrichment of a finished report (null while it is open).")
    async def enrichment(self, info: Info[Context, None]) -> Enrichment | None:
        job = await info.context.loaders.enrichment_by_report_id.load(self.node["id"])
        if not job:
            return None
        return Enrichment(status=job["status"], computed_at=native(job.get("computedAt")),
                          attempts=job.get("attempts") or 0, error=job.get("error"))

    @strawberry.field(description="The report's jurisdictions, most certain first, each with "
                                  "its basis and provenance.")
    async def jurisdictions(self, info: Info[Context, None]) -> list[ReportJurisdiction]:
        rows = await info.context.loaders.jurisdictions_by_report_id.load(self.node["id"])
        return [ReportJurisdiction(code=r["code"], name=r["name"], basis=r["basis"],
                                   source=r["source"], by=r["by"], at=required(r["at"]),
                                   confidence=r.get("confidence"), reason=r.get("reason"))
                for r in rows]

    @strawberry.field(description=(
        "The AUTOMATED priority suggestion from escalation, annotations and links. Analysts "
        "set the priority; this never changes it. Its links count every submitted report, so "
        "it is shown only to readers who see every report (analysts)."),
        extensions=[PermissionExtension(permissions=[SeesEveryReport()])])
    async def suggested_priority(self, info: Info[Context, None]) -> SuggestedPriority | None:
        row = await info.context.loaders.suggestion_by_report_id.load(self.node["id"])
        if not row:
            return None
        return SuggestedPriority(priority=Priority[row["label"]], basis=row["basis"],
                                 source=row["source"], by=row["by"], at=required(row["at"]))

    @strawberry.field(description=(
        "Agencies whose coverage includes the report's jurisdictions (exact first, then the "
        "state's country). For analysts routing a referral; null for anyone else."),
        extensions=[PermissionExtension(permissions=[IsAnalyst()], fail_silently=True)])
    async def suggested_agencies(self, info: Info[Context, None]) -> list[Agency] | None:
        ids = await info.context.loaders.suggested_agencies_by_report_id.load(self.node["id"])
        nodes = await info.context.loaders.agencies_by_id.load_many(ids)
        return [Agency(node=node) for node in nodes if node]

    @strawberry.field(description=(
        "The signed referral package of this report for an agency: an investigator's token "
        "gets its own agency's, with what its scopes allow (no personal data without "
        "pii:read); an analyst names the agency (agencyId) and sees what that agency's tokens "
        "get by default. Audited."))
    async def referral_package(
            self, info: Info[Context, None], agency_id: strawberry.ID | None = None,
    ) -> Annotated[ReferralPackage, strawberry.lazy("resolvers.referrals.packages")]:
        from resolvers.referrals.packages import referral_package

        return await referral_package(info, self.node["id"],
                                      None if agency_id is None else str(agency_id))

    @strawberry.field(extensions=[PermissionExtension(permissions=[IsAnalyst()])],
                      description="Analysts' notes, oldest first. Analysts only.")
    async def notes(self, info: Info[Context, None]) -> list[Note] | None:
        rows = await info.context.loaders.notes_by_report_id.load(self.node["id"])
        return [Note(id=strawberry.ID(row["id"]), text=row["text"], by=row["by"],
                     at=required(row["at"])) for row in rows]


@strawberry.type(description=(
    "One change to a report, in order: who (source and by), when, why, and what it changed."))
class HistoryEntry:
    kind: str = strawberry.field(description=(
        "OPENED, SUBMITTED, CANCELLED (by the ESP); PRIORITY, DISPOSITION, REFERRAL, NOTE, "
        "CLASSIFICATION, JURISDICTION (by an analyst); OUTCOME (by the agency referred)."))
    at: datetime
    source: str
    by: str
    reason: str | None = None
    before: str | None = None
    after: str | None = None
    file_id: strawberry.ID | None = None


@strawberry.type(description=(
    "Reports whose files share a hash marked viral or potential meme (or ESP-batched reports): "
    "one incident, many reports."))
class Bundle:
    id: strawberry.ID
    report_count: int = strawberry.field(description=(
        "How many submitted reports you may see are in the bundle (reports you may not see "
        "are never counted)."))
    first_seen: datetime | None = strawberry.field(description=(
        "When the first of those reports was submitted."))
    last_seen: datetime | None = strawberry.field(description=(
        "When the last of those reports was submitted."))
    hash_node: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def hash(self) -> Annotated[Identifier, strawberry.lazy("resolvers.identifiers.types")]:
        from resolvers.identifiers.types import Identifier

        return Identifier(node=self.hash_node)


@strawberry.type(description="Where enrichment of a finished report stands.")
class Enrichment:
    status: str = strawberry.field(description="PENDING, RUNNING, RETRY or DONE.")
    computed_at: datetime | None
    attempts: int
    error: str | None


@strawberry.type(description=(
    "A jurisdiction of the report and why: basis GEOLOCATION, ESP_ESTIMATED_LOCATION or "
    "ANALYST_OVERRIDE, with who said so, when and how sure."))
class ReportJurisdiction:
    code: strawberry.Private[str]
    name: strawberry.Private[str]
    basis: str
    source: str
    by: str
    at: datetime
    confidence: float | None
    reason: str | None

    @strawberry.field
    def jurisdiction(self) -> Jurisdiction:
        return Jurisdiction(code=self.code, name=self.name)


@strawberry.type(description="The automated suggestion; it never overrides an analyst.")
class SuggestedPriority:
    priority: Priority
    basis: str
    source: str
    by: str
    at: datetime


@strawberry.type(description="An analyst's note on a report.")
class Note:
    id: strawberry.ID
    text: str
    by: str
    at: datetime


@strawberry.type(description=(
    "A report that shares identifiers with this one: which, how strongly (score), and why."))
class CrossReference:
    report: Report
    shared: list[Annotated[Identifier, strawberry.lazy("resolvers.identifiers.types")]]
    score: float = strawberry.field(description=score_description())
    explanation: str


@strawberry.type
class ReportEdge:
    cursor: str
    node: Report


@strawberry.type(description=(
    "A page of reports (Relay), in the order its field documents: the triage queue by orderBy "
    "(priority, then oldest submission, by default); an identifier's reports newest first."))
class ReportConnection:
    edges: list[ReportEdge]
    page_info: PageInfo
    total_count: int


@strawberry.input(description="An identifier by value, normalised as on intake.")
class IdentifierRef:
    kind: IdentifierKind
    value: str
    scope: str | None = strawberry.field(default=None, description=(
        "The service of a SCREEN_NAME or ESP_ACCOUNT, a hash's algorithm, a device id type."))


@strawberry.input(description="Narrows the queue; every filter given must hold.")
class ReportFilter:
    status: list[ReportStatus] | None = None
    dispositions: list[Disposition] | None = None
    priorities: list[Priority] | None = None
    incident_types: list[IncidentType] | None = None
    annotations: list[ReportAnnotation] | None = strawberry.field(
        default=None, description="Reports with any of these annotations.")
    reporter_ids: list[strawberry.ID] | None = None
    jurisdiction_codes: list[str] | None = None
    submitted_after: datetime | None = None
    submitted_before: datetime | None = None
    has_escalation: bool | None = None
    identifier: IdentifierRef | None = strawberry.field(
        default=None, description=("Reports that mention this identifier. An e-mail address or "
                                   "phone number requires pii:read."))
    bundled: bool | None = None
    collapse_bundles: bool = strawberry.field(default=False, description=(
        "Show one report per bundle (its first that you may see), so viral content takes one "
        "line."))
    outcomes: list[ReferralOutcome] | None = strawberry.field(default=None, description=(
        "Reports with a referral whose latest outcome is one of these (an agency: its own "
        "referral)."))
    awaiting_outcome: bool | None = strawberry.field(default=None, description=(
        "true: referred reports with a referral no outcome was recorded for yet; false: "
        "every referral has one."))


@strawberry.enum(description="What the queue can be ordered by.")
class ReportOrderField(Enum):
    PRIORITY = "PRIORITY"
    SUBMITTED_AT = "SUBMITTED_AT"
    OPENED_AT = "OPENED_AT"
    ID = "ID"


@strawberry.enum
class SortDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.input(description="One ordering key; ties fall to the next key, then to the id.")
class ReportOrder:
    field: ReportOrderField
    direction: SortDirection = SortDirection.ASC


# What each field of Report and File reads of its stored node, next to the types: the compiled
# read path (resolvers/compiled.py) asks Neo4j for only these properties when every field a
# document selects is named here, and for the whole node otherwise. Fields that read nothing
# of it beyond the id (loaders below the report) read ().
REPORT_READS: Final[Mapping[str, tuple[str, ...]]] = {
    **{public: (stored,) for public, stored in REPORT_FIELDS.items()},
    "__typename": (), "id": (), "status": (), "annotations": ("annotations",),
    "modifiedAt": ("modifiedAt",), "expiresAt": ("expiresAt",),
    "cancelledAt": ("cancelledAt",), "reporter": ("reporterId",),
    "priority": ("priority",), "disposition": ("disposition",), "legalHold": ("legalHold",),
    "contentPurgedAt": ("contentPurgedAt",), "bundle": ("bundleId",),
    "history": ("reporterId", "openedAt", "finishedAt", "cancelledAt"),
    **{part: (part,) for part in REPORT_PARTS},
    **{loaded: () for loaded in ("files", "identifiers", "referrals", "labelSummary",
                                 "enrichment", "jurisdictions", "suggestedPriority",
                                 "suggestedAgencies", "notes")},
}
FILE_READS: Final[Mapping[str, tuple[str, ...]]] = {
    **{public: (stored,) for public, stored in FILE_FIELDS.items()},
    "__typename": (), "id": (), "hashes": (), "classifications": (), "labelsByScheme": (),
    **{name: (name,) for name in ("relevance", "annotations", "ipCaptureEvent", "deviceIds",
                                  "details", "additionalInfo", "sizeBytes", "uploadedAt",
                                  "contentPurgedAt")},
    "contentStored": ("contentRef",),
}
# What each field of Classification reads of its node.
LABEL_READS: Final[Mapping[str, tuple[str, ...]]] = {
    "__typename": (), **{name: (name,) for name in ("label", "source", "by", "at",
                                                    "retiredAt")},
    "scheme": ("scheme", "source"),
    "basis": ("basis", "basisForAll"),
}
# What each field of ReportIdentifier reads of its mention (the MENTIONS relationship).
MENTION_READS: Final[Mapping[str, tuple[str, ...]]] = {
    "__typename": (), "identifier": (), "role": ("role",), "party": ("party",),
    "event": ("event",), "at": ("at",), "port": ("port",), "possibleProxy": ("possibleProxy",),
    "fileId": ("fileId",), "source": ("source",),
}
# Fields that send one stored property as it is stored (a string, a number, a boolean or a
# list of strings; null when absent), by type: the row's attribute on the object, and each
# field's stored key. The compiled read path sends these straight from the row, with the
# scalar's own serialisation, without calling their resolvers; the differential test and
# test_the_declared_reads_are_what_the_resolvers_read hold the two to the same answer.
STORED_AS_SENT: Final[Mapping[str, tuple[str, Mapping[str, str]]]] = {
    "Report": ("node", {
        **{public: REPORT_FIELDS[public] for public in (
            "incidentDateTimeDescription", "platform", "escalateToHighPriority",
            "additionalInfo")},
        "legalHold": "legalHold"}),
    "File": ("node", {
        **{public: FILE_FIELDS[public] for public in (
            "fileName", "originalFileName", "locationOfFile", "viewedByEsp", "exifViewedByEsp",
            "publiclyAvailable")},
        "additionalInfo": "additionalInfo"}),
    "ReportIdentifier": ("mention", {name: name for name in ("party", "event", "port",
                                                             "possibleProxy")}),
}
