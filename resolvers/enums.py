"""The CyberTipline vocabularies as GraphQL enums (member names; the XSD strings stay internal).

``strawberry.enum`` registers each class in place, so the classes re-exported here are the
plain enums of :mod:`graph.core.vocabulary`, usable as types by mypy and by strawberry alike.
"""

from __future__ import annotations

import strawberry

from graph.core.vocabulary import (
    AddressType,
    AssociatedAccountType,
    BatchReason,
    CaptureEventName,
    DetailsType,
    Disposition,
    EmailType,
    FileAnnotation,
    FileRelevance,
    IncidentType,
    IndustryClassification,
    MentionRole,
    PhoneType,
    Priority,
    ReportAnnotation,
    ReportStatus,
)
from graph.identifiers.identity import IdentifierKind
from graph.referrals.outcomes import ReferralOutcome

strawberry.enum(IncidentType, description=(
    "The eight CyberTipline incident types; each maps to the exact XSD string."))
strawberry.enum(ReportAnnotation, description="Tags describing a report.")
strawberry.enum(FileAnnotation, description="Tags describing a file.")
strawberry.enum(IndustryClassification, description=(
    "The ESP-designated industry categorization scale (A1, A2, B1, B2)."))
strawberry.enum(FileRelevance, description=(
    "REPORTED: the motivation for the report. SUPPLEMENTAL_REPORTED: context for it."))
strawberry.enum(CaptureEventName, description=(
    "The event during which an IP address or device id was captured."))
strawberry.enum(AddressType)
strawberry.enum(EmailType)
strawberry.enum(PhoneType)
strawberry.enum(AssociatedAccountType)
strawberry.enum(BatchReason, description=(
    "Why several reported people share one batched report (Appendix E)."))
strawberry.enum(DetailsType)
strawberry.enum(ReportStatus, description=(
    "OPEN until finished (SUBMITTED) or cancelled; EXPIRED when not finished within 24 h of "
    "opening or 1 h of the last change, whichever is later."))
strawberry.enum(MentionRole, description=(
    "Whose identifier this is in the report, or where it came from."))
strawberry.enum(IdentifierKind, description="What an identifier is.")
strawberry.enum(Priority, description=(
    "P1: imminent danger to a child; P2; P3; UNSET: not triaged (or the priority removed)."))
strawberry.enum(Disposition, description=(
    "PENDING until an analyst decides: REFERRAL (to law enforcement) or INFORMATIONAL."))
strawberry.enum(ReferralOutcome, description=(
    "What became of a referral, as the agency reports it: RECEIVED, INVESTIGATION_OPENED, "
    "LEGAL_PROCESS_SERVED, ARREST, VICTIM_IDENTIFIED, NO_ACTION_INSUFFICIENT_INFORMATION, "
    "NOT_IN_JURISDICTION, DUPLICATE."))

__all__ = [
    "AddressType",
    "AssociatedAccountType",
    "BatchReason",
    "CaptureEventName",
    "DetailsType",
    "Disposition",
    "EmailType",
    "FileAnnotation",
    "FileRelevance",
    "IdentifierKind",
    "IncidentType",
    "IndustryClassification",
    "MentionRole",
    "PhoneType",
    "Priority",
    "ReferralOutcome",
    "ReportAnnotation",
    "ReportStatus",
]
