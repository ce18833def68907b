"""The CyberTipline XML door's documents: ``<report>`` and ``<fileDetails>`` as report documents.

Parsing is hardened: no DTD (a ``DOCTYPE`` is refused), no entity expansion, no network, no
huge trees. Every document is validated against the CyberTipline XSD (element order included)
before it is read, so the readers below can trust its shape. They produce the same documents
the GraphQL door gets from its inputs (snake_case keys, :mod:`graph.core.vocabulary` members, aware
datetimes), and the intake's own validation then applies to both doors alike.

Errors are ``BAD_USER_INPUT`` with ``details["xml"]``: ``MALFORMED`` (not well-formed XML;
CyberTipline code 4110) or ``INVALID`` (not valid against the XSD; code 4100).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from datetime import date, datetime
from enum import Enum
from typing import Any, Final, TypeVar, cast

from lxml import etree

from graph.core.errors import BadInput
from graph.core.vocabulary import (
    XSD_PATH,
    AddressType,
    AssociatedAccountType,
    BatchReason,
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
from graph.reports.intake.validation import camel

Element = etree._Element
E = TypeVar("E", bound=Enum)
MAX_ERRORS_SHOWN: Final = 5

PARSER: Final = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                                dtd_validation=False, huge_tree=False, remove_comments=True,
                                remove_pis=True)


@functools.cache
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD_PATH)))


def malformed(message: str) -> BadInput:
    return BadInput(f"malformed XML: {message}", details={"xml": "MALFORMED"})


def invalid(message: str) -> BadInput:
    return BadInput(message, details={"xml": "INVALID"})


def read_xml(body: bytes, root: str) -> Element:
    """Parse and validate one document whose root element must be ``root``."""
    if not body.strip():
        raise malformed("the request body is empty")
    try:
        document = etree.fromstring(body, PARSER)
    except (etree.XMLSyntaxError, ValueError) as error:
        raise malformed(str(error)) from None
    if getattr(document.getroottree().docinfo, "doctype", ""):
        raise malformed("a DOCTYPE is not allowed")
    if document.tag != root:
        raise invalid(f"the root element must be <{root}>, not <{document.tag}>")
    validator = schema()
    if not validator.validate(document):
        errors = [f"line {e.line}: {e.path}: {e.message}" if e.path else
                  f"line {e.line}: {e.message}"
                  for e in cast(Iterable[Any], validator.error_log)]
        shown = "; ".join(errors[:MAX_ERRORS_SHOWN])
        hidden = len(errors) - MAX_ERRORS_SHOWN
        more = f" (and {hidden} more)" if hidden > 0 else ""
        raise invalid(f"the document is not valid against the CyberTipline XSD: {shown}{more}")
    return document


# -- reading values (the XSD has checked their lexical forms) ------------------------------------

def _text(element: Element | None) -> str:
    return "" if element is None else (element.text or "").strip()


def _boolean(value: str) -> bool:
    return value.strip() in ("true", "1")


def _datetime(value: str) -> datetime:
    # xs:dateTime may lack an offset; the intake refuses that with a clear message.
    return datetime.fromisoformat(value.strip())


def _date(value: str) -> date:
    return date.fromisoformat(value.strip()[:10])


def _all(parent: Element, tag: str) -> list[Element]:
    return [child for child in parent if child.tag == tag]


def _one(parent: Element, tag: str) -> Element | None:
    found = _all(parent, tag)
    return found[0] if found else None


class _Reader:
    """Collects a document from one element: ``doc.string("platform")`` etc. skip absences."""

    def __init__(self, element: Element) -> None:
        self.element = element
        self.doc: dict[str, Any] = {}

    def put(self, key: str, value: Any) -> None:
        if value is not None and value != [] and value != {}:
            self.doc[key] = value

    def value(self, tag: str, key: str, convert: Callable[[str], Any] = str) -> None:
        child = _one(self.element, tag)
        if child is not None:
            self.put(key, convert(_text(child)))

    def values(self, tag: str, key: str, convert: Callable[[str], Any] = str) -> None:
        self.put(key, [convert(_text(child)) for child in _all(self.element, tag)])

    def attribute(self, name: str, key: str, convert: Callable[[str], Any] = str) -> None:
        raw = self.element.get(name)
        if raw is not None:
            self.put(key, convert(raw))

    def nested(self, tag: str, key: str, read: Callable[[Element], dict[str, Any]]) -> None:
        child = _one(self.element, tag)
        if child is not None:
            self.put(key, read(child))

    def nested_all(self, tag: str, key: str, read: Callable[[Element], dict[str, Any]]) -> None:
        self.put(key, [read(child) for child in _all(self.element, tag)])


def _enum(kind: type[E]) -> Callable[[str], E]:
    return lambda value: kind(value.strip())


# -- common types (Appendix A) ------------------------------------------------------------------

# (element or attribute, document key, reader) in the XSD's order: one table serves both the
# readers and the writers below.
Fields = tuple[tuple[str, str, Callable[[str], Any]], ...]
ADDRESS_FIELDS: Final[Fields] = (
    ("address", "address", str), ("city", "city", str), ("zipCode", "zip_code", str),
    ("state", "state", str), ("nonUsaState", "non_usa_state", str),
    ("country", "country", str))
IP_FIELDS: Final[Fields] = (
    ("ipAddress", "ip_address", str), ("eventName", "event_name", _enum(CaptureEventName)),
    ("dateTime", "date_time", _datetime), ("possibleProxy", "possible_proxy", _boolean),
    ("port", "port", int))
DEVICE_FIELDS: Final[Fields] = (
    ("idType", "id_type", str), ("idValue", "id_value", str),
    ("eventName", "event_name", _enum(CaptureEventName)), ("dateTime", "date_time", _datetime))
DISABLED_ATTRIBUTES: Final[Fields] = (
    ("disabledDate", "disabled_date", _datetime), ("userNotified", "user_notified", _boolean),
    ("userNotifiedDate", "user_notified_date", _datetime),
    ("reenabledDate", "reenabled_date", _datetime))
FILE_FIELDS: Final[Fields] = (
    ("fileName", "file_name", str), ("originalFileName", "original_file_name", str),
    ("uploadedToEspTimestamp", "uploaded_to_esp_timestamp", _datetime),
    ("locationOfFile", "location_of_file", str), ("fileViewedByEsp", "viewed_by_esp", _boolean),
    ("exifViewedByEsp", "exif_viewed_by_esp", _boolean),
    ("publiclyAvailable", "publicly_available", _boolean),
    ("fileRelevance", "relevance", _enum(FileRelevance)))


def _read_fields(element: Element, fields: Fields) -> dict[str, Any]:
    r = _Reader(element)
    for tag, key, convert in fields:
        r.value(tag, key, convert)
    return r.doc

def _email(element: Element) -> dict[str, Any]:
    r = _Reader(element)
    r.put("address", _text(element))
    r.attribute("type", "type", _enum(EmailType))
    r.attribute("verified", "verified", _boolean)
    r.attribute("verificationDate", "verification_date", _datetime)
    return r.doc


def _phone(element: Element) -> dict[str, Any]:
    r = _Reader(element)
    r.put("number", _text(element))
    r.attribute("type", "type", _enum(PhoneType))
    r.attribute("verified", "verified", _boolean)
    r.attribute("verificationDate", "verification_date", _datetime)
    r.attribute("countryCallingCode", "country_calling_code")
    r.attribute("extension", "extension")
    return r.doc


def _address(element: Element) -> dict[str, Any]:
    doc = _read_fields(element, ADDRESS_FIELDS)
    if element.get("type") is not None:
        doc["type"] = AddressType(element.get("type", ""))
    return doc


def _ip_capture_event(element: Element) -> dict[str, Any]:
    return _read_fields(element, IP_FIELDS)


def _device_id(element: Element) -> dict[str, Any]:
    return _read_fields(element, DEVICE_FIELDS)


def _contact(r: _Reader) -> None:
    """firstName, lastName, phone*, email*, address* (contactPerson and person)."""
    r.value("firstName", "first_name")
    r.value("lastName", "last_name")
    r.nested_all("phone", "phones", _phone)
    r.nested_all("email", "emails", _email)
    r.nested_all("address", "addresses", _address)


def _contact_person(element: Element) -> dict[str, Any]:
    r = _Reader(element)
    _contact(r)
    return r.doc


def _person(r: _Reader) -> None:
    _contact(r)
    r.value("age", "age", int)
    r.value("dateOfBirth", "date_of_birth", _date)


def _person_doc(element: Element) -> dict[str, Any]:
    r = _Reader(element)
    _person(r)
    return r.doc


def _disabled(element: Element) -> dict[str, Any]:
    r = _Reader(element)
    r.put("disabled", _boolean(_text(element)) if _text(element) else True)
    for name, key, convert in DISABLED_ATTRIBUTES:
        r.attribute(name, key, convert)
    return r.doc


def _estimated_location(element: Element) -> dict[str, Any]:
    r = _Reader(element)
    r.value("city", "city")
    r.value("region", "region")
    r.value("countryCode", "country_code")
    r.attribute("verified", "verified", _boolean)
    r.attribute("timestamp", "timestamp", _datetime)
    return r.doc


def _account_facts(r: _Reader, prior_reports_tag: str) -> None:
    """What parties and associated accounts share, in no particular order (read by name)."""
    r.value("espIdentifier", "esp_identifier")
    r.value("espService", "esp_service")
    r.value("compromisedAccount", "compromised_account", _boolean)
    r.value("screenName", "screen_name")
    r.values("displayName", "display_names")
    r.values("profileUrl", "profile_urls")
    r.value("profileBio", "profile_bio")
    r.nested_all("ipCaptureEvent", "ip_capture_events", _ip_capture_event)
    r.nested_all("deviceId", "device_ids", _device_id)
    r.values(prior_reports_tag, "prior_ct_reports", int)
    r.value("groupIdentifier", "group_identifier")
    r.nested("accountTemporarilyDisabled", "account_temporarily_disabled", _disabled)
    r.nested("accountPermanentlyDisabled", "account_permanently_disabled", _disabled)
    r.value("allEmailsReported", "all_emails_reported", _boolean)


def _associated_account(element: Element) -> dict[str, Any]:
    r = _Reader(element)
    r.attribute("type", "account_type", _enum(AssociatedAccountType))
    platform = _one(element, "platform")
    if platform is not None:
        r.put("platform", _text(platform))
        if platform.get("thirdPartyUser") is not None:
            r.put("third_party_user", _boolean(platform.get("thirdPartyUser", "")))
    r.value("firstName", "first_name")
    r.value("middleName", "middle_name")
    r.value("lastName", "last_name")
    r.value("approximateAge", "approximate_age", int)
    r.value("dateOfBirth", "date_of_birth", _date)
    r.nested_all("phone", "phones", _phone)
    r.nested_all("email", "emails", _email)
    r.nested_all("address", "addresses", _address)
    _account_facts(r, "priorCTReport")
    r.value("additionalInfo", "additional_info")
    return r.doc


def _party(person_tag: str) -> Callable[[Element], dict[str, Any]]:
    """personOrUserReported, intendedRecipient and victim: the person is flattened in."""
    def read(element: Element) -> dict[str, Any]:
        r = _Reader(element)
        person = _one(element, person_tag)
        if person is not None:
            r.doc.update(_person_doc(person))
        _account_facts(r, "priorCTReports")
        r.value("vehicleDescription", "vehicle_description")
        r.value("thirdPartyUserReported", "third_party_user_reported", _boolean)
        r.value("schoolName", "school_name")
        r.nested("estimatedLocation", "estimated_location", _estimated_location)
        r.nested_all("associatedAccount", "associated_accounts", _associated_account)
        infos = [_text(info) for info in _all(element, "additionalInfo")]
        r.put("additional_info", "\n".join(infos) if infos else None)
        return r.doc
    return read


# -- internet details ---------------------------------------------------------------------------

def _incident(element: Element) -> dict[str, Any]:
    r = _Reader(element)
    tag = element.tag
    if tag == "webPageIncident":
        r.values("url", "urls")
        r.attribute("thirdPartyHostedContent", "third_party_hosted_content", _boolean)
    elif tag in ("emailIncident", "newsgroupIncident"):
        r.value("name", "name")
        r.nested_all("emailAddress", "email_addresses", _email)
    elif tag == "chatImIncident":
        r.value("chatClient", "chat_client")
        r.value("chatRoomName", "chat_room_name")
    elif tag == "onlineGamingIncident":
        r.value("gameName", "game_name")
        r.value("console", "console")
    elif tag == "cellPhoneIncident":
        r.nested("phoneNumber", "phone_number", _phone)
        r.value("latitude", "latitude", float)
        r.value("longitude", "longitude", float)
    elif tag == "nonInternetIncident":
        r.value("locationName", "location_name")
        r.nested_all("incidentAddress", "incident_addresses", _address)
    elif tag == "peer2peerIncident":
        r.value("client", "client")
        r.nested_all("ipCaptureEvent", "ip_capture_events", _ip_capture_event)
        r.value("fileNames", "file_names")
    r.value("content", "content")
    r.value("additionalInfo", "additional_info")
    return r.doc


INCIDENT_KEYS: Final = {
    "webPageIncident": "web_page", "emailIncident": "email", "newsgroupIncident": "newsgroup",
    "chatImIncident": "chat_im", "onlineGamingIncident": "online_gaming",
    "cellPhoneIncident": "cell_phone", "nonInternetIncident": "non_internet",
    "peer2peerIncident": "peer2peer",
}


def _internet_details(element: Element) -> dict[str, Any]:
    [incident] = list(element)  # the XSD's choice: exactly one
    return {INCIDENT_KEYS[incident.tag]: _incident(incident)}


def _law_enforcement(element: Element) -> dict[str, Any]:
    r = _Reader(element)
    r.value("agencyName", "agency_name")
    r.value("caseNumber", "case_number")
    r.nested("officerContact", "officer_contact", _contact_person)
    r.value("reportedToLe", "reported_to_le", _boolean)
    r.value("servedLegalProcessDomestic", "served_legal_process_domestic", _boolean)
    international = _one(element, "servedLegalProcessInternational")
    if international is not None:
        r.put("served_legal_process_international", _boolean(_text(international) or "true"))
        r.put("flea_country", international.get("fleaCountry"))
    return r.doc


def _reporter(element: Element) -> dict[str, Any]:
    r = _Reader(element)
    person = _one(element, "reportingPerson")
    if person is not None:  # kept even when empty: B.4 requires its e-mail
        r.doc["reporting_person"] = _person_doc(person)
    r.nested("contactPerson", "contact_person", _contact_person)
    r.value("companyTemplate", "company_template")
    r.value("termsOfService", "terms_of_service")
    r.value("legalURL", "legal_url")
    return r.doc


def _flags(element: Element | None, kind: type[E]) -> list[E]:
    """Annotation elements present and not false (``<sextortion />`` means true)."""
    if element is None:
        return []
    return [kind(child.tag) for child in element if _text(child) not in ("false", "0")]


# -- roots ----------------------------------------------------------------------------------------

def report_document(root: Element) -> dict[str, Any]:
    """A validated ``<report>`` as a report document (no files: they come by upload)."""
    r = _Reader(root)
    summary = _one(root, "incidentSummary")
    assert summary is not None  # required by the XSD
    s = _Reader(summary)
    s.value("incidentType", "incident_type", _enum(IncidentType))
    s.value("platform", "platform")
    s.value("escalateToHighPriority", "escalate_to_high_priority")
    s.put("annotations", _flags(_one(summary, "reportAnnotations"), ReportAnnotation))
    s.value("incidentDateTime", "incident_date_time", _datetime)
    s.value("incidentDateTimeDescription", "incident_date_time_description")
    r.doc.update(s.doc)
    batched = _one(root, "batchedReport")
    if batched is not None:
        r.put("batched_report", {"reason": BatchReason(batched.get("reason", ""))})
    r.nested_all("internetDetails", "internet_details", _internet_details)
    r.nested("lawEnforcement", "law_enforcement", _law_enforcement)
    r.nested("reporter", "reporter", _reporter)
    r.nested_all("personOrUserReported", "reported_people", _party("personOrUserReportedPerson"))
    r.nested_all("intendedRecipient", "intended_recipients", _party("intendedRecipientPerson"))
    r.nested_all("victim", "victims", _party("victimPerson"))
    r.value("additionalInfo", "additional_info")
    return r.doc


def _details(element: Element) -> dict[str, Any]:
    r = _Reader(element)
    r.put("name_value_pairs", [
        {"name": _text(pair.find("name")), "value": _text(pair.find("value"))}
        for pair in _all(element, "nameValuePair")])
    r.attribute("type", "type", _enum(DetailsType))
    return r.doc


def file_details_document(root: Element) -> tuple[int, str, dict[str, Any]]:
    """A validated ``<fileDetails>``: (report id, file id, file document)."""
    r = _Reader(root)
    report_id = int(_text(root.find("reportId")))
    file_id = _text(root.find("fileId"))
    r.doc.update(_read_fields(root, FILE_FIELDS))
    annotations = _flags(_one(root, "fileAnnotations"), FileAnnotation)
    meme = _one(root, "potentialMeme")  # the XSD's older spelling, outside fileAnnotations
    if meme is not None and _text(meme) not in ("false", "0"):
        annotations.append(FileAnnotation.POTENTIAL_MEME)
    r.put("annotations", annotations)
    r.value("industryClassification", "industry_classification", _enum(IndustryClassification))
    r.put("hashes", [{"algorithm": h.get("hashType", ""), "value": _text(h)}
                     for h in _all(root, "originalFileHash")])
    r.nested("ipCaptureEvent", "ip_capture_event", _ip_capture_event)
    r.nested_all("deviceId", "device_ids", _device_id)
    r.nested_all("details", "details", _details)
    r.values("additionalInfo", "additional_info")
    return report_id, file_id, r.doc


# -- where: the intake's field paths in the XML's own names --------------------------------------

PATH_PART: Final = re.compile(r"([A-Za-z0-9]+)(?:\[(\d+)\])?")
SUMMARY_FIELDS: Final = frozenset({"incidentType", "platform", "escalateToHighPriority",
                                   "annotations", "incidentDateTime",
                                   "incidentDateTimeDescription"})
PARTIES: Final = {"reportedPeople": ("personOrUserReported", "personOrUserReportedPerson"),
                  "intendedRecipients": ("intendedRecipient", "intendedRecipientPerson"),
                  "victims": ("victim", "victimPerson")}
PERSON_FIELDS: Final = frozenset({"firstName", "lastName", "phones", "emails", "addresses", "age",
                                  "dateOfBirth"})
ATTRIBUTE_NAMES: Final = {
    "disabledDate": "disabledDate", "userNotified": "userNotified",
    "userNotifiedDate": "userNotifiedDate", "reenabledDate": "reenabledDate",
    "verificationDate": "verificationDate", "verified": "verified", "type": "type",
    "countryCallingCode": "countryCallingCode", "extension": "extension",
    "timestamp": "timestamp", "thirdPartyHostedContent": "thirdPartyHostedContent",
    "thirdPartyUser": "thirdPartyUser", "accountType": "type", "reason": "reason",
    "algorithm": "hashType"}
ELEMENT_NAMES: Final = {
    "urls": "url", "emailAddresses": "emailAddress", "incidentAddresses": "incidentAddress",
    "ipCaptureEvents": "ipCaptureEvent", "deviceIds": "deviceId", "profileUrls": "profileUrl",
    "displayNames": "displayName", "emails": "email", "phones": "phone", "addresses": "address",
    "associatedAccounts": "associatedAccount", "priorCtReports": "priorCTReports",
    "legalUrl": "legalURL", "hashes": "originalFileHash", "nameValuePairs": "nameValuePair",
    "viewedByEsp": "fileViewedByEsp", "relevance": "fileRelevance",
    # internetDetails' incidents, by their document keys (webPage -> webPageIncident, ...)
    **{camel(key): tag for tag, key in INCIDENT_KEYS.items()},
}
# (parent, key) whose value is the parent element's own text
TEXT_KEYS: Final = frozenset({("emails", "address"), ("emailAddresses", "address"),
                              ("phones", "number"), ("phoneNumber", "number"),
                              ("hashes", "value")})


def xml_path(field: str) -> str:
    """An intake field path (``reportedPeople[0].accountTemporarilyDisabled.reenabledDate``) in
    the document's XML names, relative to its root
    (``personOrUserReported/accountTemporarilyDisabled/@reenabledDate``); a repeated element's
    position is an XPath predicate from the second on (``victim[2]``).

    Example::

        >>> xml_path("reportedPeople[0].accountTemporarilyDisabled.reenabledDate")
        'personOrUserReported/accountTemporarilyDisabled/@reenabledDate'
        >>> xml_path("victims[1].age")
        'victim[2]/victimPerson/age'
        >>> xml_path("files[0].hashes[1].algorithm")
        'originalFileHash[2]/@hashType'
        >>> xml_path("internetDetails[0].email.emailAddresses[0]")
        'internetDetails/emailIncident/emailAddress'
    """
    parts = [(m.group(1), None if m.group(2) is None else int(m.group(2)))
             for m in PATH_PART.finditer(field)]
    if parts and parts[0][0] == "files":
        parts = parts[1:]  # a file's fields are the children of <fileDetails>
    out: list[str] = []
    parent = ""
    for depth, (name, index) in enumerate(parts):
        if (parent, name) in TEXT_KEYS:
            break
        predicate = f"[{index + 1}]" if index else ""
        if depth == 0 and name in SUMMARY_FIELDS and not field.startswith("files"):
            out.append("incidentSummary")
            name = "reportAnnotations" if name == "annotations" else name
        elif name == "annotations":
            name = "fileAnnotations"
        if depth == 0 and name in PARTIES:
            out.append(PARTIES[name][0] + predicate)
            parent = name
            continue
        if depth == 1 and parts[0][0] in PARTIES and name in PERSON_FIELDS:
            out.append(PARTIES[parts[0][0]][1])
        if name == "fleaCountry":
            out.append("servedLegalProcessInternational/@fleaCountry")
        elif name in ATTRIBUTE_NAMES:
            out.append("@" + ATTRIBUTE_NAMES[name])
        elif name == "priorCtReports" and parent == "associatedAccounts":
            out.append("priorCTReport" + predicate)
        else:
            out.append(ELEMENT_NAMES.get(name, name) + predicate)
        parent = name
    return "/".join(out)


def xml_message(message: str, field: str) -> str:
    """An intake message about ``field`` with the path in XML names."""
    where = xml_path(field)
    if message.startswith(field):
        return where + message[len(field):]
    return f"{where}: {message}"


# -- writing: what an ESP's client sends (tests, benchmarks, forwarding) -------------------------

def _lexical(value: Any) -> str:
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


class _Writer:
    """Appends children in the order it is told (the XSD's), skipping absent values."""

    def __init__(self, element: Element, doc: dict[str, Any]) -> None:
        self.element = element
        self.doc = doc

    def value(self, key: str, tag: str) -> None:
        value = self.doc.get(key)
        if value is not None:
            etree.SubElement(self.element, tag).text = _lexical(value)

    def values(self, key: str, tag: str) -> None:
        for value in self.doc.get(key) or ():
            etree.SubElement(self.element, tag).text = _lexical(value)

    def attribute(self, key: str, name: str) -> None:
        value = self.doc.get(key)
        if value is not None:
            self.element.set(name, _lexical(value))

    def nested(self, key: str, tag: str, write: Callable[[Element, dict[str, Any]], None]) -> None:
        value = self.doc.get(key)
        if value is not None:
            write(etree.SubElement(self.element, tag), value)

    def nested_all(self, key: str, tag: str,
                   write: Callable[[Element, dict[str, Any]], None]) -> None:
        for value in self.doc.get(key) or ():
            write(etree.SubElement(self.element, tag), value)


def _write_email(element: Element, doc: dict[str, Any]) -> None:
    element.text = doc["address"]
    w = _Writer(element, doc)
    w.attribute("type", "type")
    w.attribute("verified", "verified")
    w.attribute("verification_date", "verificationDate")


def _write_phone(element: Element, doc: dict[str, Any]) -> None:
    element.text = doc["number"]
    w = _Writer(element, doc)
    w.attribute("type", "type")
    w.attribute("verified", "verified")
    w.attribute("verification_date", "verificationDate")
    w.attribute("country_calling_code", "countryCallingCode")
    w.attribute("extension", "extension")


def _write_fields(element: Element, doc: dict[str, Any], fields: Fields) -> None:
    w = _Writer(element, doc)
    for tag, key, _ in fields:
        w.value(key, tag)


def _write_address(element: Element, doc: dict[str, Any]) -> None:
    _write_fields(element, doc, ADDRESS_FIELDS)
    _Writer(element, doc).attribute("type", "type")


def _write_ip(element: Element, doc: dict[str, Any]) -> None:
    _write_fields(element, doc, IP_FIELDS)


def _write_device(element: Element, doc: dict[str, Any]) -> None:
    _write_fields(element, doc, DEVICE_FIELDS)


def _write_contact(element: Element, doc: dict[str, Any]) -> None:
    w = _Writer(element, doc)
    w.value("first_name", "firstName")
    w.value("last_name", "lastName")
    w.nested_all("phones", "phone", _write_phone)
    w.nested_all("emails", "email", _write_email)
    w.nested_all("addresses", "address", _write_address)


def _write_person(element: Element, doc: dict[str, Any]) -> None:
    _write_contact(element, doc)
    w = _Writer(element, doc)
    w.value("age", "age")
    w.value("date_of_birth", "dateOfBirth")


def _write_disabled(element: Element, doc: dict[str, Any]) -> None:
    element.text = _lexical(doc.get("disabled", True))
    w = _Writer(element, doc)
    for name, key, _ in DISABLED_ATTRIBUTES:
        w.attribute(key, name)


def _write_location(element: Element, doc: dict[str, Any]) -> None:
    w = _Writer(element, doc)
    w.value("city", "city")
    w.value("region", "region")
    w.value("country_code", "countryCode")
    w.attribute("verified", "verified")
    w.attribute("timestamp", "timestamp")


def _write_account(element: Element, doc: dict[str, Any]) -> None:
    w = _Writer(element, doc)
    w.attribute("account_type", "type")
    if doc.get("platform") is not None:
        platform = etree.SubElement(element, "platform")
        platform.text = doc["platform"]
        if doc.get("third_party_user") is not None:
            platform.set("thirdPartyUser", _lexical(doc["third_party_user"]))
    for key, tag in (("first_name", "firstName"), ("middle_name", "middleName"),
                     ("last_name", "lastName"), ("approximate_age", "approximateAge"),
                     ("date_of_birth", "dateOfBirth")):
        w.value(key, tag)
    w.nested_all("phones", "phone", _write_phone)
    w.nested_all("emails", "email", _write_email)
    w.value("all_emails_reported", "allEmailsReported")
    w.nested_all("addresses", "address", _write_address)
    w.value("esp_service", "espService")
    w.value("esp_identifier", "espIdentifier")
    w.values("profile_urls", "profileUrl")
    w.value("screen_name", "screenName")
    w.values("display_names", "displayName")
    w.value("profile_bio", "profileBio")
    w.value("group_identifier", "groupIdentifier")
    w.value("compromised_account", "compromisedAccount")
    w.nested("account_temporarily_disabled", "accountTemporarilyDisabled", _write_disabled)
    w.nested("account_permanently_disabled", "accountPermanentlyDisabled", _write_disabled)
    w.nested_all("ip_capture_events", "ipCaptureEvent", _write_ip)
    w.nested_all("device_ids", "deviceId", _write_device)
    w.values("prior_ct_reports", "priorCTReport")
    w.value("additional_info", "additionalInfo")


def _write_party(person_tag: str, role: str) -> Callable[[Element, dict[str, Any]], None]:
    """personOrUserReported (``reported``), intendedRecipient (``recipient``), victim."""
    def write(element: Element, doc: dict[str, Any]) -> None:
        w = _Writer(element, doc)
        person_keys = ("first_name", "last_name", "phones", "emails", "addresses", "age",
                       "date_of_birth")
        if role == "victim" or any(doc.get(k) is not None for k in person_keys):
            _write_person(etree.SubElement(element, person_tag), doc)
        if role == "reported":
            w.value("vehicle_description", "vehicleDescription")
        w.value("esp_identifier", "espIdentifier")
        w.value("esp_service", "espService")
        w.value("compromised_account", "compromisedAccount")
        w.value("screen_name", "screenName")
        w.values("display_names", "displayName")
        w.values("profile_urls", "profileUrl")
        w.value("profile_bio", "profileBio")
        w.nested_all("ip_capture_events", "ipCaptureEvent", _write_ip)
        w.nested_all("device_ids", "deviceId", _write_device)
        if role == "reported":
            w.value("third_party_user_reported", "thirdPartyUserReported")
        if role == "victim":
            w.value("school_name", "schoolName")
        w.values("prior_ct_reports", "priorCTReports")
        if role != "victim":
            w.value("group_identifier", "groupIdentifier")
        w.nested("account_temporarily_disabled", "accountTemporarilyDisabled", _write_disabled)
        w.nested("account_permanently_disabled", "accountPermanentlyDisabled", _write_disabled)
        w.nested("estimated_location", "estimatedLocation", _write_location)
        w.value("all_emails_reported", "allEmailsReported")
        if role != "recipient":
            w.nested_all("associated_accounts", "associatedAccount", _write_account)
        w.value("additional_info", "additionalInfo")
    return write


def _write_incident(element: Element, doc: dict[str, Any]) -> None:
    w = _Writer(element, doc)
    tag = element.tag
    if tag == "webPageIncident":
        w.values("urls", "url")
        w.attribute("third_party_hosted_content", "thirdPartyHostedContent")
    elif tag in ("emailIncident", "newsgroupIncident"):
        w.value("name", "name")
        w.nested_all("email_addresses", "emailAddress", _write_email)
    elif tag == "chatImIncident":
        w.value("chat_client", "chatClient")
        w.value("chat_room_name", "chatRoomName")
    elif tag == "onlineGamingIncident":
        w.value("game_name", "gameName")
        w.value("console", "console")
    elif tag == "cellPhoneIncident":
        w.nested("phone_number", "phoneNumber", _write_phone)
        w.value("latitude", "latitude")
        w.value("longitude", "longitude")
    elif tag == "nonInternetIncident":
        w.value("location_name", "locationName")
        w.nested_all("incident_addresses", "incidentAddress", _write_address)
    elif tag == "peer2peerIncident":
        w.value("client", "client")
        w.nested_all("ip_capture_events", "ipCaptureEvent", _write_ip)
        w.value("file_names", "fileNames")
    w.value("content", "content")
    w.value("additional_info", "additionalInfo")


def _write_internet_details(element: Element, doc: dict[str, Any]) -> None:
    tags = {key: tag for tag, key in INCIDENT_KEYS.items()}
    for key, value in doc.items():
        if value is not None:
            _write_incident(etree.SubElement(element, tags[key]), value)


def _write_law_enforcement(element: Element, doc: dict[str, Any]) -> None:
    w = _Writer(element, doc)
    w.value("agency_name", "agencyName")
    w.value("case_number", "caseNumber")
    w.nested("officer_contact", "officerContact", _write_contact)
    w.value("reported_to_le", "reportedToLe")
    w.value("served_legal_process_domestic", "servedLegalProcessDomestic")
    if doc.get("served_legal_process_international") is not None or doc.get("flea_country"):
        international = etree.SubElement(element, "servedLegalProcessInternational")
        international.text = _lexical(bool(doc.get("served_legal_process_international", True)))
        if doc.get("flea_country"):
            international.set("fleaCountry", doc["flea_country"])


def _write_reporter(element: Element, doc: dict[str, Any]) -> None:
    w = _Writer(element, doc)
    if doc.get("reporting_person") is None:
        etree.SubElement(element, "reportingPerson")
    w.nested("reporting_person", "reportingPerson", _write_person)
    w.nested("contact_person", "contactPerson", _write_contact)
    w.value("company_template", "companyTemplate")
    w.value("terms_of_service", "termsOfService")
    w.value("legal_url", "legalURL")


def report_xml(document: dict[str, Any]) -> bytes:
    """A report document (the intake's shape; its ``files`` are left out) as ``<report>``."""
    root = etree.Element("report")
    w = _Writer(root, document)
    if document.get("batched_report"):
        etree.SubElement(root, "batchedReport").set(
            "reason", _lexical(document["batched_report"]["reason"]))
    summary = etree.SubElement(root, "incidentSummary")
    s = _Writer(summary, document)
    s.value("incident_type", "incidentType")
    s.value("platform", "platform")
    s.value("escalate_to_high_priority", "escalateToHighPriority")
    if document.get("annotations"):
        flags = etree.SubElement(summary, "reportAnnotations")
        for annotation in document["annotations"]:
            etree.SubElement(flags, _lexical(annotation))
    s.value("incident_date_time", "incidentDateTime")
    s.value("incident_date_time_description", "incidentDateTimeDescription")
    w.nested_all("internet_details", "internetDetails", _write_internet_details)
    w.nested("law_enforcement", "lawEnforcement", _write_law_enforcement)
    _write_reporter(etree.SubElement(root, "reporter"), document.get("reporter") or {})
    w.nested_all("reported_people", "personOrUserReported",
                 _write_party("personOrUserReportedPerson", "reported"))
    w.nested_all("intended_recipients", "intendedRecipient",
                 _write_party("intendedRecipientPerson", "recipient"))
    w.nested_all("victims", "victim", _write_party("victimPerson", "victim"))
    w.value("additional_info", "additionalInfo")
    return _render(root)


def file_details_xml(report_id: int, file_id: str, document: dict[str, Any]) -> bytes:
    """A file document (the intake's shape) as ``<fileDetails>`` for an uploaded file."""
    root = etree.Element("fileDetails")
    etree.SubElement(root, "reportId").text = str(report_id)
    etree.SubElement(root, "fileId").text = file_id
    w = _Writer(root, document)
    _write_fields(root, document, FILE_FIELDS)
    if document.get("annotations"):
        flags = etree.SubElement(root, "fileAnnotations")
        for annotation in document["annotations"]:
            etree.SubElement(flags, _lexical(annotation))
    w.value("industry_classification", "industryClassification")
    for digest in document.get("hashes") or ():
        element = etree.SubElement(root, "originalFileHash")
        element.set("hashType", digest["algorithm"])
        element.text = digest["value"]
    w.nested("ip_capture_event", "ipCaptureEvent", _write_ip)
    w.nested_all("device_ids", "deviceId", _write_device)
    for group in document.get("details") or ():
        details = etree.SubElement(root, "details")
        if group.get("type") is not None:
            details.set("type", _lexical(group["type"]))
        for pair in group["name_value_pairs"]:
            element = etree.SubElement(details, "nameValuePair")
            etree.SubElement(element, "name").text = pair["name"]
            etree.SubElement(element, "value").text = pair["value"]
    w.values("additional_info", "additionalInfo")
    return _render(root)


# -- responses (Appendix D), with the reference's declaration and layout -----------------------

DECLARATION: Final = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def _render(root: Element) -> bytes:
    etree.indent(root, space="    ")
    return DECLARATION + etree.tostring(root, encoding="UTF-8") + b"\n"


def report_response(code: int, description: str, report_id: int | None = None,
                    file_id: str | None = None, md5: str | None = None) -> bytes:
    root = etree.Element("reportResponse")
    etree.SubElement(root, "responseCode").text = str(code)
    etree.SubElement(root, "responseDescription").text = description
    for tag, value in (("reportId", report_id), ("fileId", file_id), ("hash", md5)):
        if value is not None:
            etree.SubElement(root, tag).text = str(value)
    return _render(root)


def report_done_response(code: int, report_id: int | None, file_ids: list[str]) -> bytes:
    """The answer to /finish, a refusal too (the reference names this root for every /finish
    response; its type has no description, so a refusal carries only its code, and its report
    id, 0 when none was read)."""
    root = etree.Element("reportDoneResponse")
    etree.SubElement(root, "responseCode").text = str(code)
    # reportId is required by the XSD: 0 when the request's id was never read (no credentials,
    # no or a malformed id), so a refusal still parses with a client's generated classes
    etree.SubElement(root, "reportId").text = str(report_id or 0)
    files = etree.SubElement(root, "files")
    for file_id in file_ids:
        etree.SubElement(files, "fileId").text = file_id
    return _render(root)
