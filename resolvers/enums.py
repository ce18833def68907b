"""The CyberTipline vocabularies as GraphQL enums (member names; the XSD strings stay internal)."""

from __future__ import annotations

import strawberry

from graph import vocabulary as v
from graph.identifiers import IdentifierKind as _IdentifierKind

IncidentType = strawberry.enum(v.IncidentType, description=(
    "The eight CyberTipline incident types; each maps to the exact XSD string."))
ReportAnnotation = strawberry.enum(v.ReportAnnotation, description="Tags describing a report.")
FileAnnotation = strawberry.enum(v.FileAnnotation, description="Tags describing a file.")
IndustryClassification = strawberry.enum(v.IndustryClassification, description=(
    "The ESP-designated industry categorization scale (A1, A2, B1, B2)."))
FileRelevance = strawberry.enum(v.FileRelevance, description=(
    "REPORTED: the motivation for the report. SUPPLEMENTAL_REPORTED: context for it."))
CaptureEventName = strawberry.enum(v.CaptureEventName, description=(
    "The event during which an IP address or device id was captured."))
AddressType = strawberry.enum(v.AddressType)
EmailType = strawberry.enum(v.EmailType)
PhoneType = strawberry.enum(v.PhoneType)
AssociatedAccountType = strawberry.enum(v.AssociatedAccountType)
BatchReason = strawberry.enum(v.BatchReason, description=(
    "Why several reported people share one batched report (Appendix E)."))
DetailsType = strawberry.enum(v.DetailsType)
ReportStatus = strawberry.enum(v.ReportStatus, description=(
    "OPEN until finished (SUBMITTED) or cancelled; EXPIRED when not finished within 24 h of "
    "opening or 1 h of the last change, whichever is later."))
MentionRole = strawberry.enum(v.MentionRole, description=(
    "Whose identifier this is in the report, or where it came from."))
IdentifierKind = strawberry.enum(_IdentifierKind, description="What an identifier is.")
