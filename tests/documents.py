"""GraphQL documents and inputs shared by the tests (UPPER_CASE, as the specifications read)."""

from __future__ import annotations

import copy
from typing import Any, Final

SUBMIT_REPORT: Final = """
mutation SubmitReport($input: SubmitReportInput!, $key: String) {
  submitReport(input: $input, idempotencyKey: $key) {
    id status finishedAt preserveUntil
    files { id fileName viewedByEsp hashes { algorithm value } }
    identifiers { role identifier { id kind value reportCount } }
  }
}
"""

OPEN_REPORT: Final = """
mutation Open($input: OpenReportInput!, $key: String) {
  openReport(input: $input, idempotencyKey: $key) { id status expiresAt openedAt }
}
"""

ADD_FILE: Final = """
mutation AddFile($id: ID!, $file: FileInput!) {
  addFile(reportId: $id, input: $file) {
    id fileName viewedByEsp hashes { algorithm value }
    classifications { label source by basis }
  }
}
"""

FINISH_REPORT: Final = """
mutation Finish($id: ID!) { finishReport(reportId: $id) { id status finishedAt preserveUntil } }
"""

CANCEL_REPORT: Final = """
mutation Cancel($id: ID!) { cancelReport(reportId: $id) { id status cancelledAt } }
"""

REPORT: Final = """
query Report($id: ID!) {
  report(id: $id) {
    id status incidentType
    files { id hashes { algorithm value } }
    identifiers { role identifier { id kind value reportCount } }
  }
}
"""

EXAMPLE_INPUT: Final[dict[str, Any]] = {
    "incidentType": "CHILD_PORNOGRAPHY", "incidentDateTime": "2026-11-01T10:00:00+00:00",
    "reportedPeople": [{"screenName": "shadow_fox", "espService": "ExampleChat",
                        "espIdentifier": "u-1001",
                        "emails": [{"address": "Alice@Example.COM"}],
                        "phones": [{"number": "+1 415 555 0100"}],
                        "ipCaptureEvents": [{"ipAddress": "203.0.113.7", "eventName": "LOGIN",
                                             "dateTime": "2026-11-01T09:00:00+00:00"}]}],
    "files": [{"fileName": "img001.jpg", "viewedByEsp": True, "exifViewedByEsp": False,
               "publiclyAvailable": False, "industryClassification": "A1",
               "hashes": [{"algorithm": "MD5", "value": "9e107d9d372bb6826bd81d3542a419d6"}]}],
}

MINIMAL_INPUT: Final[dict[str, Any]] = {
    "incidentType": "ONLINE_ENTICEMENT", "incidentDateTime": "2026-10-01T08:30:00Z",
}


def example_input(**changes: Any) -> dict[str, Any]:
    """A deep copy of the issue's example input with top-level changes applied."""
    document = copy.deepcopy(EXAMPLE_INPUT)
    document.update(changes)
    return document
