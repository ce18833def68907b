"""The CyberTipline door's test helpers: an HTTP Basic client, the reference's documents, and a
maximal report document that uses every element the XSD defines."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

import httpx
from lxml import etree
from starlette.applications import Starlette

from graph.core.vocabulary import (
    AddressType,
    AssociatedAccountType,
    CaptureEventName,
    DetailsType,
    EmailType,
    FileAnnotation,
    FileRelevance,
    IncidentType,
    IndustryClassification,
    PhoneType,
    ReportAnnotation,
)

# Section 6.1 of the reference, as printed there.
REFERENCE_REPORT: Final = b"""<?xml version="1.0" encoding="UTF-8"?>
<report xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
        xsi:noNamespaceSchemaLocation="https://report.cybertip.org/ispws/xsd">
    <incidentSummary>
        <incidentType>Child Pornography (possession, manufacture, and distribution)</incidentType>
        <reportAnnotations>
            <sextortion />
            <csamSolicitation />
            <minorToMinorInteraction />
            <spam />
            <sadisticOnlineExploitation />
        </reportAnnotations>
        <incidentDateTime>2012-10-15T08:00:00-07:00</incidentDateTime>
    </incidentSummary>
    <internetDetails>
        <webPageIncident>
            <url>http://badsite.com/baduri.html</url>
        </webPageIncident>
    </internetDetails>
    <reporter>
        <reportingPerson>
            <firstName>John</firstName>
            <lastName>Smith</lastName>
            <email>jsmith@example.com</email>
        </reportingPerson>
    </reporter>
</report>
"""

# Section 6.3, with the report and file ids the server gave.
REFERENCE_FILE_DETAILS: Final = """<?xml version="1.0" encoding="UTF-8"?>
<fileDetails xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
             xsi:noNamespaceSchemaLocation="https://report.cybertip.org/ispws/xsd">
    <reportId>{report_id}</reportId>
    <fileId>{file_id}</fileId>
    <originalFileName>mypic.jpg</originalFileName>
    <ipCaptureEvent>
        <ipAddress>63.116.246.17</ipAddress>
        <eventName>Upload</eventName>
        <dateTime>2011-10-31T12:00:00Z</dateTime>
    </ipCaptureEvent>
    <additionalInfo>File was originally posted with 6 others</additionalInfo>
</fileDetails>
"""

DECLARATION: Final = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def synthetic_bytes(size: int, seed: str = "tipgraph") -> bytes:
    """Deterministic test bytes (no real content): a SHA-256 counter stream."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:size])


@dataclass
class Answer:
    status: int
    root: str
    fields: dict[str, Any]
    body: bytes
    headers: httpx.Headers

    @property
    def code(self) -> int:
        return int(self.fields["responseCode"])


def answer(response: httpx.Response) -> Answer:
    root = etree.fromstring(response.content)
    fields: dict[str, Any] = {}
    for child in root:
        if child.tag == "files":
            fields["files"] = [f.text for f in child]
        else:
            fields[child.tag] = child.text
    return Answer(response.status_code, root.tag, fields, response.content, response.headers)


@dataclass
class Ispws:
    """An ESP's CyberTipline client (curl's requests, over ASGI)."""

    client: httpx.AsyncClient

    async def submit(self, body: bytes) -> Answer:
        return answer(await self.client.post(
            "/submit", content=body, headers={"Content-Type": "text/xml; charset=utf-8"}))

    async def upload(self, report_id: int | str, data: bytes, name: str = "file.jpg",
                     key: str | None = None) -> Answer:
        return answer(await self.client.post(
            "/upload", data={"id": str(report_id)}, files={"file": (name, data, "image/jpeg")},
            headers=_keyed(key)))

    async def fileinfo(self, body: bytes, key: str | None = None) -> Answer:
        return answer(await self.client.post(
            "/fileinfo", content=body,
            headers={"Content-Type": "text/xml; charset=utf-8", **_keyed(key)}))

    async def finish(self, report_id: int | str, key: str | None = None) -> Answer:
        return answer(await self.client.post("/finish", files={"id": (None, str(report_id))},
                                             headers=_keyed(key)))

    async def retract(self, report_id: int | str) -> Answer:
        return answer(await self.client.post("/retract", files={"id": (None, str(report_id))}))


def _keyed(key: str | None) -> dict[str, str]:
    return {} if key is None else {"Idempotency-Key": key}


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


_PHONE: Final = {"number": "415 555 0101", "type": PhoneType("Mobile"), "verified": True,
                 "verification_date": _at("2026-01-01T00:00:00+00:00"),
                 "country_calling_code": "+1", "extension": "12"}
def _email(address: str) -> dict[str, Any]:
    return {"address": address, "type": EmailType("Home"), "verified": True,
            "verification_date": _at("2026-01-02T00:00:00+00:00")}


def _ip(address: str) -> dict[str, Any]:
    return {"ip_address": address, "event_name": CaptureEventName("Upload"),
            "date_time": _at("2026-10-01T08:00:00+00:00"), "possible_proxy": True, "port": 443}


def _device(kind: str, value: str) -> dict[str, Any]:
    return {"id_type": kind, "id_value": value, "event_name": CaptureEventName("Login"),
            "date_time": _at("2026-10-01T07:59:00+00:00")}


_EMAIL: Final = _email("suspect@example.com")
_ADDRESS: Final = {"address": "1 Example Way", "city": "Exampleton", "zip_code": "94000",
                   "state": "CA", "non_usa_state": "n/a", "country": "US",
                   "type": AddressType("Home")}
_IP: Final = _ip("198.51.100.20")
_DEVICE: Final = _device("IMEI", "490154203237518")
_DISABLED: Final = {"disabled": True, "disabled_date": _at("2026-10-02T00:00:00+00:00"),
                    "user_notified": True, "user_notified_date": _at("2026-10-02T01:00:00+00:00")}
_PERSON: Final = {"first_name": "Synthetic", "last_name": "Person", "phones": [_PHONE],
                  "emails": [_EMAIL], "addresses": [_ADDRESS], "age": 30,
                  "date_of_birth": date(1996, 1, 1)}
_ACCOUNT_FACTS: Final = {
    "esp_identifier": "acct-9", "esp_service": "ExampleChat", "compromised_account": False,
    "screen_name": "Suspect_9", "display_names": ["S9"],
    "profile_urls": ["https://example.com/u/suspect_9"], "profile_bio": "bio",
    "ip_capture_events": [_IP], "device_ids": [_DEVICE], "prior_ct_reports": [123456],
    "account_temporarily_disabled": {**_DISABLED,
                                     "reenabled_date": _at("2026-10-03T00:00:00+00:00")},
    "account_permanently_disabled": {**_DISABLED,
                                     "disabled_date": _at("2026-10-04T00:00:00+00:00"),
                                     "user_notified_date": _at("2026-10-04T01:00:00+00:00")},
    "estimated_location": {"city": "Exampleton", "region": "CA", "country_code": "US",
                           "verified": False, "timestamp": _at("2026-10-01T00:00:00+00:00")},
    "all_emails_reported": True,
}
_ASSOCIATED: Final = {
    "account_type": AssociatedAccountType.PARENT_GUARDIAN, "platform": "ExamplePay",
    "third_party_user": True, "first_name": "Linked", "middle_name": "M", "last_name": "Account",
    "approximate_age": 40, "phones": [_PHONE],
    "emails": [_email("linked@example.net")], "all_emails_reported": False,
    "addresses": [_ADDRESS], "esp_service": "ExamplePay", "esp_identifier": "pay-1",
    "profile_urls": ["https://pay.example.net/u/1"], "screen_name": "linked_1",
    "display_names": ["L1"], "profile_bio": "linked bio", "group_identifier": "g-2",
    "compromised_account": False,
    "account_temporarily_disabled": {**_DISABLED,
                                     "reenabled_date": _at("2026-10-03T00:00:00+00:00")},
    "account_permanently_disabled": _DISABLED, "ip_capture_events": [_ip("192.0.2.9")],
    "device_ids": [_device("ICCID", "8944500102198304826")],
    "prior_ct_reports": [654321], "additional_info": "linked account info",
}
# approximateAge and dateOfBirth exclude each other: a second account shows the date.
_ASSOCIATED_BORN: Final = {"account_type": AssociatedAccountType.LINKED,
                           "date_of_birth": date(1986, 5, 5), "esp_identifier": "pay-2"}

# Every element of <report> the XSD defines (but <batchedReport>, whose Appendix E rules forbid
# most of the rest; tested on its own). Values are synthetic; enum members as the intake takes.
MAXIMAL_REPORT: Final[dict[str, Any]] = {
    "incident_type": IncidentType.ONLINE_ENTICEMENT,
    "platform": "ExampleChat for Android",
    "escalate_to_high_priority": "Synthetic: stated intent to meet",
    "annotations": list(ReportAnnotation),
    "incident_date_time": _at("2026-10-01T08:30:00-07:00"),
    "incident_date_time_description": "Approximate; from chat logs.",
    "internet_details": [
        {"web_page": {"urls": ["https://example.com/page?x=1"], "additional_info": "page",
                      "third_party_hosted_content": False}},
        {"email": {"email_addresses": [_EMAIL], "content": "Hi", "additional_info": "mail"}},
        {"newsgroup": {"name": "alt.example", "email_addresses": [_EMAIL],
                       "content": "post", "additional_info": "news"}},
        {"chat_im": {"chat_client": "ExampleChat", "chat_room_name": "room-1", "content": "msg",
                     "additional_info": "chat"}},
        {"online_gaming": {"game_name": "Example Quest", "console": "ExampleBox",
                           "content": "in-game", "additional_info": "game"}},
        {"cell_phone": {"phone_number": {**_PHONE, "number": "415 555 0102"}, "latitude": 37.7,
                        "longitude": -122.4, "additional_info": "cell"}},
        {"non_internet": {"location_name": "Example Park", "incident_addresses": [_ADDRESS],
                          "additional_info": "offline"}},
        {"peer2peer": {"client": "ExampleShare", "ip_capture_events": [_ip("::ffff:192.0.2.44")],
                       "file_names": "a.jpg", "additional_info": "p2p"}},
    ],
    "law_enforcement": {"agency_name": "Example County Sheriff", "case_number": "EX-1",
                        "officer_contact": {"first_name": "Officer", "last_name": "Example",
                                            "phones": [_PHONE],
                                            "emails": [_email("officer@example.gov")],
                                            "addresses": [_ADDRESS]},
                        "reported_to_le": True, "served_legal_process_domestic": False,
                        "served_legal_process_international": True, "flea_country": "GB"},
    "reporter": {"reporting_person": {**_PERSON, "emails": [_email("reporter@example.org")]},
                 "contact_person": {"first_name": "Contact", "last_name": "Person",
                                    "phones": [_PHONE], "emails": [_email("contact@example.org")],
                                    "addresses": [_ADDRESS]},
                 "company_template": "Serve process at ...", "terms_of_service": "ToS text",
                 "legal_url": "https://example.org/legal"},
    "reported_people": [{**_PERSON, **_ACCOUNT_FACTS, "vehicle_description": "blue car",
                         "third_party_user_reported": False, "group_identifier": "group-1",
                         "associated_accounts": [_ASSOCIATED, _ASSOCIATED_BORN],
                         "additional_info": "reported person info"}],
    "intended_recipients": [{**_PERSON, **_ACCOUNT_FACTS, "screen_name": "recipient_1",
                             "esp_identifier": "acct-10", "group_identifier": "group-2",
                             "additional_info": "recipient info"}],
    "victims": [{**_PERSON, **_ACCOUNT_FACTS, "first_name": "Child", "age": 13,
                 "school_name": "Example Elementary", "screen_name": "victim_1",
                 "esp_identifier": "acct-11",
                 "associated_accounts": [_ASSOCIATED, _ASSOCIATED_BORN],
                 "emails": [_email("victim@example.com")],
                 "additional_info": "victim info"}],
    "additional_info": "Synthetic maximal report.",
}

# Every element of <fileDetails> (fileAnnotations rather than the older potentialMeme).
MAXIMAL_FILE: Final[dict[str, Any]] = {
    "file_name": "evidence.jpg", "original_file_name": "IMG_0001.JPG",
    "uploaded_to_esp_timestamp": _at("2026-10-01T07:00:00+00:00"),
    "location_of_file": "https://cdn.example.com/f/1", "viewed_by_esp": True,
    "exif_viewed_by_esp": True, "publicly_available": False,
    "relevance": FileRelevance("Reported"), "annotations": list(FileAnnotation),
    "industry_classification": IndustryClassification.B1,
    "hashes": [{"algorithm": "PDQ", "value": "a" * 64}],
    "ip_capture_event": {"ip_address": "2001:db8::1", "event_name": CaptureEventName("Upload"),
                         "date_time": _at("2026-10-01T06:59:00+00:00"), "possible_proxy": False,
                         "port": 8443},
    "device_ids": [_device("ICCID", "8944500102198304826")],
    "details": [{"type": DetailsType("EXIF"), "name_value_pairs": [
        {"name": "Make", "value": "ExampleCam"}]}],
    "additional_info": ["first note", "second note"],
}


def ispws_client(app: Starlette, username: str, password: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.250", 4000))
    return httpx.AsyncClient(transport=transport, base_url="http://tipgraph.test/ispws",
                             auth=(username, password))
