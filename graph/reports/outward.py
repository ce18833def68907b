"""A report's outward shape, declared once: each public field and the stored property it shows.

The GraphQL ``Report`` and ``File`` types read their plain fields through these tables, and the
referral package's JSON is built from the same tables, so a field has one public name
everywhere (``tests/test_packages.py`` checks every key of a package against the schema).
Fields that are more than a stored value (the reporter, priority, labels, parts) are built
beside them by each reader.

Example::

    >>> outward({"incidentAt": "2026-10-01T08:30:00Z", "platform": "chat"},
    ...         {"incidentDateTime": "incidentAt", "platform": "platform"})
    {'incidentDateTime': '2026-10-01T08:30:00Z', 'platform': 'chat'}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

# public name -> stored property of the :Report node
REPORT_FIELDS: Final[Mapping[str, str]] = {
    "incidentType": "incidentType",
    "incidentDateTime": "incidentAt",
    "incidentDateTimeDescription": "incidentDateTimeDescription",
    "platform": "platform",
    "escalateToHighPriority": "escalation",
    "additionalInfo": "additionalInfo",
    "batchReason": "batchReason",
    "openedAt": "openedAt",
    "finishedAt": "finishedAt",
    "preserveUntil": "preserveUntil",
}

# the report's parts, stored as JSON under their public names (personal data within them is
# declared in graph.reports.personal)
REPORT_PARTS: Final = ("reportedPeople", "intendedRecipients", "victims", "internetDetails",
                       "lawEnforcement", "reporterContact")

# public name -> stored property of the :File node
FILE_FIELDS: Final[Mapping[str, str]] = {
    "fileName": "fileName",
    "originalFileName": "originalFileName",
    "locationOfFile": "locationOfFile",
    "uploadedToEspTimestamp": "uploadedToEspAt",
    "viewedByEsp": "viewedByEsp",
    "exifViewedByEsp": "exifViewedByEsp",
    "publiclyAvailable": "publiclyAvailable",
    "industryClassification": "industryClassification",
}


def outward(node: Mapping[str, Any], fields: Mapping[str, str]) -> dict[str, Any]:
    """The node's plain fields under their public names (``None`` where not stored)."""
    return {public: node.get(stored) for public, stored in fields.items()}
