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

_PERSON: Final[dict[str, Any]] = {
    "firstName": "Synthetic", "lastName": "Person", "age": 30, "dateOfBirth": "1996-01-01",
    "addresses": [{"address": "1 Example Way", "city": "Exampleton", "zipCode": "94000",
                   "state": "CA", "country": "US", "type": "HOME"}],
    "phones": [{"number": "415 555 0101", "countryCallingCode": "+1", "type": "MOBILE",
                "verified": True, "verificationDate": "2026-01-01T00:00:00Z",
                "extension": "12"}],
    "emails": [{"address": "suspect@example.com", "type": "HOME", "verified": False}],
}

FULL_INPUT: Final[dict[str, Any]] = {
    "incidentType": "ONLINE_ENTICEMENT",
    "incidentDateTime": "2026-10-01T08:30:00-07:00",
    "incidentDateTimeDescription": "Approximate; from chat logs.",
    "platform": "ExampleChat for Android",
    "escalateToHighPriority": "Synthetic: stated intent to meet",
    "annotations": ["SEXTORTION", "MINOR_TO_MINOR_INTERACTION"],
    "internetDetails": [
        {"webPage": {"urls": ["HTTPS://Example.COM/Page?x=1"], "thirdPartyHostedContent": False}},
        {"email": {"emailAddresses": [{"address": "suspect@example.com"}], "content": "Hi"}},
        {"newsgroup": {"name": "alt.example", "content": "post"}},
        {"chatIm": {"chatClient": "ExampleChat", "chatRoomName": "room-1", "content": "msg"}},
        {"onlineGaming": {"gameName": "Example Quest", "console": "ExampleBox"}},
        {"cellPhone": {"phoneNumber": {"number": "+1 415 555 0102"}, "latitude": 37.7,
                       "longitude": -122.4}},
        {"nonInternet": {"locationName": "Example Park",
                         "incidentAddresses": [{"city": "Exampleton", "state": "CA",
                                                "country": "US"}]}},
        {"peer2peer": {"client": "ExampleShare", "fileNames": "a.jpg",
                       "ipCaptureEvents": [{"ipAddress": "::ffff:192.0.2.44"}]}},
    ],
    "lawEnforcement": {"agencyName": "Example County Sheriff", "caseNumber": "EX-1",
                       "officerContact": {"firstName": "Officer", "emails": [
                           {"address": "officer@example.gov"}]},
                       "reportedToLe": True, "servedLegalProcessInternational": True,
                       "fleaCountry": "GB"},
    "reporter": {"reportingPerson": {"firstName": "Rep", "emails": [
        {"address": "reporter@example.org"}]},
        "contactPerson": {"lastName": "Contact"}, "companyTemplate": "Serve process at ...",
        "termsOfService": "ToS text", "legalUrl": "https://example.org/legal"},
    "reportedPeople": [{
        **_PERSON,
        "espIdentifier": "acct-9", "espService": "ExampleChat", "screenName": "Suspect_9",
        "displayNames": ["S9"], "profileUrls": ["https://example.com/u/suspect_9"],
        "profileBio": "bio", "compromisedAccount": False, "vehicleDescription": "blue car",
        "thirdPartyUserReported": False, "priorCtReports": [123456],
        "groupIdentifier": "group-1", "allEmailsReported": True,
        "ipCaptureEvents": [{"ipAddress": "198.51.100.20", "eventName": "UPLOAD",
                             "dateTime": "2026-10-01T08:00:00Z", "possibleProxy": True,
                             "port": 443}],
        "deviceIds": [{"idType": "imei", "idValue": "490154203237518", "eventName": "LOGIN"}],
        "accountTemporarilyDisabled": {"disabledDate": "2026-10-02T00:00:00Z",
                                       "userNotified": True,
                                       "userNotifiedDate": "2026-10-02T01:00:00Z",
                                       "reenabledDate": "2026-10-03T00:00:00Z"},
        "accountPermanentlyDisabled": {"disabledDate": "2026-10-04T00:00:00Z"},
        "estimatedLocation": {"countryCode": "US", "region": "CA", "city": "Exampleton",
                              "verified": False},
        "associatedAccounts": [{"accountType": "PARENT_GUARDIAN", "platform": "ExamplePay",
                                "espIdentifier": "pay-1", "emails": [
                                    {"address": "linked@example.net"}]}],
    }],
    "intendedRecipients": [{"screenName": "recipient_1", "espService": "ExampleChat"}],
    "victims": [{"firstName": "Child", "age": 13, "schoolName": "Example Elementary",
                 "emails": [{"address": "victim@example.com"}]}],
    "additionalInfo": "Synthetic maximal report.",
    "files": [{
        "fileName": "evidence.jpg", "originalFileName": "IMG_0001.JPG",
        "locationOfFile": "https://cdn.example.com/f/1", "viewedByEsp": True,
        "exifViewedByEsp": True, "publiclyAvailable": False,
        "uploadedToEspTimestamp": "2026-10-01T07:00:00Z", "relevance": "REPORTED",
        "annotations": ["GENERATIVE_AI"], "industryClassification": "B1",
        "hashes": [{"algorithm": "SHA256", "value": "a" * 64}],
        "ipCaptureEvent": {"ipAddress": "2001:DB8::1"},
        "deviceIds": [{"idType": "ICCID", "idValue": "8944500102198304826"}],
        "details": [{"type": "EXIF", "nameValuePairs": [{"name": "Make",
                                                         "value": "ExampleCam"}]}],
        "additionalInfo": ["first note", "second note"],
    }],
}

CONTACT: Final = (
    "firstName lastName phones { number type verified verificationDate countryCallingCode"
    " extension } emails { address type verified }"
    " addresses { address city zipCode state country type }"
)

FULL_REPORT_QUERY: Final = ("""
query Full($id: ID!) {
  report(id: $id) {
    id status incidentType incidentDateTime incidentDateTimeDescription platform
    escalateToHighPriority annotations additionalInfo batchReason
    reportedPeople { """ + CONTACT + """ age dateOfBirth espIdentifier espService screenName
      displayNames profileUrls vehicleDescription priorCtReports
      accountTemporarilyDisabled { disabledDate userNotified userNotifiedDate reenabledDate }
      estimatedLocation { countryCode region city }
      associatedAccounts { accountType platform espIdentifier emails { address } } }
    intendedRecipients { screenName espService }
    victims { firstName age schoolName emails { address } }
    internetDetails {
      webPage { urls } email { emailAddresses { address } } newsgroup { name }
      chatIm { chatClient } onlineGaming { gameName } cellPhone { phoneNumber { number } }
      nonInternet { locationName } peer2peer { client ipCaptureEvents { ipAddress } } }
    lawEnforcement { agencyName caseNumber fleaCountry officerContact { """ + CONTACT + """ } }
    reporterContact { reportingPerson { """ + CONTACT + """ } companyTemplate legalUrl }
    files { fileName originalFileName relevance annotations industryClassification viewedByEsp
      exifViewedByEsp publiclyAvailable uploadedToEspTimestamp additionalInfo
      ipCaptureEvent { ipAddress } deviceIds { idType idValue }
      details { type nameValuePairs { name value } } hashes { algorithm value }
      classifications { label source basis } }
    identifiers { role event port possibleProxy identifier { kind value scope } }
  }
}
""")
