"""The CyberTipline reference, rule by rule: one row per documented rule of Appendices A-E.

Each row takes a document that passes (the maximal report or file of ``tests.cybertipline``, or a
batched one), breaks exactly the rule it names, sends it to ``/ispws`` on a real server and
expects the reference's answer: HTTP status, Appendix D code, the endpoint's root element, a
message that names the place in the document's own XML names, and nothing written. The valid
documents themselves pass (the first rows). ``RESPONSES`` does the same for Appendix D's codes
and each endpoint's root element.

Rules the XSD states (cardinality, order, enumerations, lexical types) are answered by the XSD
check; the rest by the intake, which the GraphQL door shares.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

import pytest
from lxml import etree
from starlette.applications import Starlette

from authz.basic import issue_credentials
from graph.core.db import Database, run
from graph.core.vocabulary import XSD_PATH, BatchReason, FileAnnotation, IncidentType
from graph.reports.intake.xml import file_details_xml, report_xml
from graph.reports.reporters import register_reporter
from tests.cybertipline import (
    MAXIMAL_FILE,
    MAXIMAL_REPORT,
    Answer,
    Ispws,
    answer,
    ispws_client,
)

Element = etree._Element
T = TypeVar("T")
Change = Callable[[Element], None]

FUTURE: Final = "2099-01-01T00:00:00Z"
LONG_URL: Final = "https://example.com/" + "a" * 2100


# -- changes to a document ------------------------------------------------------------------------

def _find(root: Element, path: str) -> Element:
    found = root.xpath(path)
    assert isinstance(found, list), path
    assert found, f"{path} is not in the valid document"
    element = found[0]
    assert isinstance(element, Element)
    return element


def text(path: str, value: str) -> Change:
    def change(root: Element) -> None:
        _find(root, path).text = value
    return change


def attr(path: str, name: str, value: str) -> Change:
    def change(root: Element) -> None:
        _find(root, path).set(name, value)
    return change


def drop(path: str) -> Change:
    def change(root: Element) -> None:
        element = _find(root, path)
        parent = element.getparent()
        assert parent is not None
        parent.remove(element)
    return change


def drop_attr(path: str, name: str) -> Change:
    def change(root: Element) -> None:
        del _find(root, path).attrib[name]
    return change


def twice(path: str) -> Change:
    """The element repeated right after itself (a 0|1 or 1 element given twice)."""
    def change(root: Element) -> None:
        element = _find(root, path)
        element.addnext(copy.deepcopy(element))
    return change


def after(path: str, tag: str, value: str | None = None) -> Change:
    """A new element right after ``path`` (the XSD's order kept)."""
    def change(root: Element) -> None:
        element = etree.Element(tag)
        element.text = value
        _find(root, path).addnext(element)
    return change


def both(*changes: Change) -> Change:
    def change(root: Element) -> None:
        for each in changes:
            each(root)
    return change


@dataclass(frozen=True)
class Rule:
    """One documented rule: where the reference states it, what it says, a change to a valid
    document that breaks it and nothing else, and the words the refusal must contain."""

    ref: str
    says: str
    change: Change
    where: str
    code: int = 4100


# -- the rules -------------------------------------------------------------------------------------

R: Final = "/report"
SUMMARY: Final = f"{R}/incidentSummary"
REPORTED: Final = f"{R}/personOrUserReported"
REPORTED_PERSON: Final = f"{REPORTED}/personOrUserReportedPerson"
ASSOCIATED: Final = f"{REPORTED}/associatedAccount[1]"
REPORTING: Final = f"{R}/reporter/reportingPerson"
PARTIES: Final = {
    "B.5": ("personOrUserReported", "personOrUserReportedPerson"),
    "B.6": ("intendedRecipient", "intendedRecipientPerson"),
    "B.7": ("victim", "victimPerson"),
}


def too_long(ref: str, path: str, limit: int, where: str, *, url: bool = False) -> Rule:
    value = ("https://example.com/" + "a" * limit) if url else "x" * (limit + 1)
    return Rule(ref, f"max length is {limit} characters", text(path, value), where)


def _incident(kind: str) -> str:
    return f"{R}/internetDetails/{kind}"


REPORT_RULES: Final[list[Rule]] = [
    # B: the report
    Rule("B", "<incidentSummary> is required (1)", drop(SUMMARY), "incidentSummary"),
    Rule("B", "<reporter> is required (1)", drop(f"{R}/reporter"), "reporter"),
    Rule("B", "<lawEnforcement> is 0|1", twice(f"{R}/lawEnforcement"), "lawEnforcement"),
    Rule("B", "<additionalInfo> is 0|1", twice(f"{R}/additionalInfo"), "additionalInfo"),
    Rule("B", "<personOrUserReported> is 0|1 outside a batched report", twice(REPORTED),
         "personOrUserReported[2]"),
    Rule("B", "batchedReport's reason is required (1)",
         lambda root: root.insert(0, etree.Element("batchedReport")), "reason"),
    Rule("B", "batchedReport's reason is one of its values",
         lambda root: root.insert(0, etree.Element("batchedReport", reason="BORED")), "reason"),
    # B.1: incident summary
    Rule("B.1", "<incidentType> is required (1)", drop(f"{SUMMARY}/incidentType"),
         "incidentType"),
    Rule("B.1", "<incidentType> is one of its values", text(f"{SUMMARY}/incidentType", "Spam"),
         "incidentType"),
    too_long("B.1", f"{SUMMARY}/platform", 256, "incidentSummary/platform"),
    Rule("B.1", "<escalateToHighPriority> must not be blank if supplied",
         text(f"{SUMMARY}/escalateToHighPriority", "   "),
         "incidentSummary/escalateToHighPriority"),
    too_long("B.1", f"{SUMMARY}/escalateToHighPriority", 3000,
             "incidentSummary/escalateToHighPriority"),
    Rule("B.1", "<incidentDateTime> is required (1)", drop(f"{SUMMARY}/incidentDateTime"),
         "incidentDateTime"),
    Rule("B.1", "<incidentDateTime> must be in the past",
         text(f"{SUMMARY}/incidentDateTime", FUTURE), "incidentSummary/incidentDateTime"),
    Rule("B.1", "<incidentDateTime> is an ISO 8601 date and time",
         text(f"{SUMMARY}/incidentDateTime", "yesterday"), "incidentDateTime"),
    Rule("7.3", "timestamps must have a time zone",
         text(f"{SUMMARY}/incidentDateTime", "2026-10-01T08:00:00"),
         "incidentSummary/incidentDateTime"),
    too_long("B.1", f"{SUMMARY}/incidentDateTimeDescription", 3000,
             "incidentSummary/incidentDateTimeDescription"),
    Rule("B.1.1", "<reportAnnotations> holds only its tags",
         after(f"{SUMMARY}/reportAnnotations/sextortion", "phishing"), "phishing"),
    # B.2: internet details
    Rule("B.2", "each <internetDetails> has exactly one incident",
         after(_incident("webPageIncident"), "chatImIncident"), "chatImIncident"),
    Rule("B.2", "each <internetDetails> has an incident",
         drop(_incident("webPageIncident")), "internetDetails"),
    Rule("B.2.1", "<url> must be a valid URL", text(f"{_incident('webPageIncident')}/url",
                                                   "not a url"),
         "internetDetails/webPageIncident/url"),
    Rule("B.2.1", "<url> max length is 2083 characters",
         text(f"{_incident('webPageIncident')}/url", LONG_URL),
         "internetDetails/webPageIncident/url"),
    Rule("B.2.1", "thirdPartyHostedContent is a boolean",
         attr(_incident("webPageIncident"), "thirdPartyHostedContent", "maybe"),
         "thirdPartyHostedContent"),
    Rule("B.2.2", "<emailAddress> must also be a reported person's, recipient's or victim's",
         text(f"{_incident('emailIncident')}/emailAddress", "stranger@example.com"),
         "internetDetails[2]/emailIncident/emailAddress"),
    Rule("B.2.3", "<emailAddress> must also be a reported person's, recipient's or victim's",
         text(f"{_incident('newsgroupIncident')}/emailAddress", "stranger@example.com"),
         "internetDetails[3]/newsgroupIncident/emailAddress"),
    too_long("B.2.3", f"{_incident('newsgroupIncident')}/name", 255,
             "internetDetails[3]/newsgroupIncident/name"),
    too_long("B.2.4", f"{_incident('chatImIncident')}/chatClient", 255,
             "internetDetails[4]/chatImIncident/chatClient"),
    too_long("B.2.4", f"{_incident('chatImIncident')}/chatRoomName", 255,
             "internetDetails[4]/chatImIncident/chatRoomName"),
    too_long("B.2.5", f"{_incident('onlineGamingIncident')}/gameName", 255,
             "internetDetails[5]/onlineGamingIncident/gameName"),
    too_long("B.2.5", f"{_incident('onlineGamingIncident')}/console", 255,
             "internetDetails[5]/onlineGamingIncident/console"),
    Rule("B.2.6", "<phoneNumber> is a phone",
         text(f"{_incident('cellPhoneIncident')}/phoneNumber", "12"),
         "internetDetails[6]/cellPhoneIncident/phoneNumber"),
    Rule("B.2.6", "<latitude> is a double", text(f"{_incident('cellPhoneIncident')}/latitude",
                                                "north"), "latitude"),
    too_long("B.2.7", f"{_incident('nonInternetIncident')}/locationName", 255,
             "internetDetails[7]/nonInternetIncident/locationName"),
    Rule("B.2.7", "<incidentAddress> state is a US postal abbreviation",
         text(f"{_incident('nonInternetIncident')}/incidentAddress/state", "ZZ"),
         "internetDetails[7]/nonInternetIncident/incidentAddress/state"),
    too_long("B.2.8", f"{_incident('peer2peerIncident')}/client", 255,
             "internetDetails[8]/peer2peerIncident/client"),
    Rule("B.2.8", "<ipCaptureEvent> ipAddress must be a valid IP address",
         text(f"{_incident('peer2peerIncident')}/ipCaptureEvent/ipAddress", "999.1.1.1"),
         "internetDetails[8]/peer2peerIncident/ipCaptureEvent/ipAddress"),
    # B.3: law enforcement
    Rule("B.3", "<agencyName> is required (1)", drop(f"{R}/lawEnforcement/agencyName"),
         "agencyName"),
    too_long("B.3", f"{R}/lawEnforcement/agencyName", 255, "lawEnforcement/agencyName"),
    too_long("B.3", f"{R}/lawEnforcement/caseNumber", 100, "lawEnforcement/caseNumber"),
    Rule("B.3", "<reportedToLe> is a boolean", text(f"{R}/lawEnforcement/reportedToLe", "yes"),
         "reportedToLe"),
    Rule("B.3", "fleaCountry must be an ISO 3166-1 alpha-2 code",
         attr(f"{R}/lawEnforcement/servedLegalProcessInternational", "fleaCountry", "XX"),
         "lawEnforcement/servedLegalProcessInternational"),
    too_long("B.3 (contactPerson)", f"{R}/lawEnforcement/officerContact/firstName", 100,
             "lawEnforcement/officerContact/firstName"),
    # B.4: reporter
    Rule("B.4", "<reportingPerson> is required (1)", drop(REPORTING), "reportingPerson"),
    Rule("B.4", "<reportingPerson>'s <email> is required", drop(f"{REPORTING}/email"),
         "reporter/reportingPerson/email"),
    Rule("B.4", "<legalURL> must be a valid URL", text(f"{R}/reporter/legalURL", "legal"),
         "reporter/legalURL"),
    too_long("B.4", f"{R}/reporter/legalURL", 2083, "reporter/legalURL", url=True),
    too_long("B.4 (contactPerson)", f"{R}/reporter/contactPerson/lastName", 100,
             "reporter/contactPerson/lastName"),
    # B.5-B.7: the parties
    *[rule for ref, (party, person) in PARTIES.items() for rule in (
        too_long(ref, f"{R}/{party}/espIdentifier", 255, f"{party}/espIdentifier"),
        too_long(ref, f"{R}/{party}/espService", 100, f"{party}/espService"),
        too_long(ref, f"{R}/{party}/screenName", 256, f"{party}/screenName"),
        too_long(ref, f"{R}/{party}/displayName", 255, f"{party}/displayName"),
        Rule(ref, "<profileUrl> must be a valid URL", text(f"{R}/{party}/profileUrl", "nowhere"),
             f"{party}/profileUrl"),
        too_long(ref, f"{R}/{party}/profileUrl", 2083, f"{party}/profileUrl", url=True),
        Rule(ref, "<priorCTReports> is a long", text(f"{R}/{party}/priorCTReports", "CT-1"),
             "priorCTReports"),
        Rule(ref, "<priorCTReports> must be a valid CyberTipline report id",
             text(f"{R}/{party}/priorCTReports", "-5"), f"{party}/priorCTReports"),
        Rule(ref, "accountTemporarilyDisabled/@disabledDate must be in the past",
             attr(f"{R}/{party}/accountTemporarilyDisabled", "disabledDate", FUTURE),
             f"{party}/accountTemporarilyDisabled/@disabledDate"),
        Rule(ref, "accountTemporarilyDisabled/@userNotifiedDate must be in the past",
             both(attr(f"{R}/{party}/accountTemporarilyDisabled", "userNotifiedDate", FUTURE),
                  drop_attr(f"{R}/{party}/accountTemporarilyDisabled", "reenabledDate")),
             f"{party}/accountTemporarilyDisabled/@userNotifiedDate"),
        Rule(ref, "accountTemporarilyDisabled/@userNotifiedDate on or after disabledDate",
             attr(f"{R}/{party}/accountTemporarilyDisabled", "userNotifiedDate",
                  "2026-10-01T00:00:00Z"),
             f"{party}/accountTemporarilyDisabled/@userNotifiedDate"),
        Rule(ref, "accountTemporarilyDisabled/@reenabledDate after disabledDate",
             attr(f"{R}/{party}/accountTemporarilyDisabled", "reenabledDate",
                  "2026-10-01T00:00:00Z"),
             f"{party}/accountTemporarilyDisabled/@reenabledDate"),
        Rule(ref, "accountPermanentlyDisabled/@disabledDate must be in the past",
             attr(f"{R}/{party}/accountPermanentlyDisabled", "disabledDate", FUTURE),
             f"{party}/accountPermanentlyDisabled/@disabledDate"),
        Rule(ref, "accountPermanentlyDisabled/@userNotifiedDate on or after disabledDate",
             attr(f"{R}/{party}/accountPermanentlyDisabled", "userNotifiedDate",
                  "2026-10-01T00:00:00Z"),
             f"{party}/accountPermanentlyDisabled/@userNotifiedDate"),
        Rule(ref, "<compromisedAccount> is a boolean",
             text(f"{R}/{party}/compromisedAccount", "perhaps"), "compromisedAccount"),
        too_long(ref + " (person)", f"{R}/{party}/{person}/firstName", 100,
                 f"{party}/{person}/firstName"),
        too_long(ref + " (person)", f"{R}/{party}/{person}/lastName", 100,
                 f"{party}/{person}/lastName"),
        Rule(ref + " (person)", "<age> must be between 0 and 150",
             text(f"{R}/{party}/{person}/age", "151"), f"{party}/{person}/age"),
        Rule(ref + " (person)", "<dateOfBirth> must be in the past",
             text(f"{R}/{party}/{person}/dateOfBirth", "2099-01-01"),
             f"{party}/{person}/dateOfBirth"),
    )],
    too_long("B.5", f"{REPORTED}/vehicleDescription", 300,
             "personOrUserReported/vehicleDescription"),
    too_long("B.5", f"{REPORTED}/groupIdentifier", 255, "personOrUserReported/groupIdentifier"),
    too_long("B.6", f"{R}/intendedRecipient/groupIdentifier", 255,
             "intendedRecipient/groupIdentifier"),
    Rule("B.7", "<victimPerson> is required (1)", drop(f"{R}/victim/victimPerson"),
         "victimPerson"),
    too_long("B.7", f"{R}/victim/schoolName", 255, "victim/schoolName"),
    # B.8: associated accounts
    Rule("B.8", "accountType is one of its values", attr(ASSOCIATED, "type", "Sibling"), "type"),
    too_long("B.8", f"{ASSOCIATED}/platform", 256,
             "personOrUserReported/associatedAccount/platform"),
    too_long("B.8", f"{ASSOCIATED}/firstName", 256,
             "personOrUserReported/associatedAccount/firstName"),
    too_long("B.8", f"{ASSOCIATED}/middleName", 256,
             "personOrUserReported/associatedAccount/middleName"),
    too_long("B.8", f"{ASSOCIATED}/lastName", 256,
             "personOrUserReported/associatedAccount/lastName"),
    Rule("B.8", "<approximateAge> must be between 0 and 150",
         text(f"{ASSOCIATED}/approximateAge", "200"),
         "personOrUserReported/associatedAccount/approximateAge"),
    Rule("B.8", "<approximateAge> may not be set if <dateOfBirth> is supplied",
         after(f"{ASSOCIATED}/approximateAge", "dateOfBirth", "1980-01-01"),
         "personOrUserReported/associatedAccount/approximateAge"),
    Rule("B.8", "<dateOfBirth> must be in the past",
         text(f"{REPORTED}/associatedAccount[2]/dateOfBirth", "2099-01-01"),
         "personOrUserReported/associatedAccount[2]/dateOfBirth"),
    too_long("B.8", f"{ASSOCIATED}/espService", 256,
             "personOrUserReported/associatedAccount/espService"),
    too_long("B.8", f"{ASSOCIATED}/espIdentifier", 256,
             "personOrUserReported/associatedAccount/espIdentifier"),
    Rule("B.8", "<profileUrl> must be a valid URL", text(f"{ASSOCIATED}/profileUrl", "nowhere"),
         "personOrUserReported/associatedAccount/profileUrl"),
    too_long("B.8", f"{ASSOCIATED}/screenName", 256,
             "personOrUserReported/associatedAccount/screenName"),
    too_long("B.8", f"{ASSOCIATED}/displayName", 255,
             "personOrUserReported/associatedAccount/displayName"),
    too_long("B.8", f"{ASSOCIATED}/groupIdentifier", 256,
             "personOrUserReported/associatedAccount/groupIdentifier"),
    Rule("B.8", "accountTemporarilyDisabled/@reenabledDate after disabledDate",
         attr(f"{ASSOCIATED}/accountTemporarilyDisabled", "reenabledDate",
              "2026-10-01T00:00:00Z"),
         "personOrUserReported/associatedAccount/accountTemporarilyDisabled/@reenabledDate"),
    Rule("B.8", "<priorCTReport> must be a valid CyberTipline report id",
         text(f"{ASSOCIATED}/priorCTReport", "0"),
         "personOrUserReported/associatedAccount/priorCTReport"),
    # A: ipCaptureEvent
    Rule("A", "ipCaptureEvent <ipAddress> is required",
         drop(f"{REPORTED}/ipCaptureEvent/ipAddress"),
         "ipAddress"),
    Rule("A", "ipCaptureEvent <ipAddress> must not be blank",
         text(f"{REPORTED}/ipCaptureEvent/ipAddress", " "),
         "personOrUserReported/ipCaptureEvent/ipAddress"),
    Rule("A", "ipCaptureEvent <ipAddress> must be a valid IPv4, IPv6 or IPv4-mapped address",
         text(f"{REPORTED}/ipCaptureEvent/ipAddress", "198.51.100"),
         "personOrUserReported/ipCaptureEvent/ipAddress"),
    Rule("A", "ipCaptureEvent <eventName> is one of its values",
         text(f"{REPORTED}/ipCaptureEvent/eventName", "Logout"), "eventName"),
    Rule("A", "ipCaptureEvent <dateTime> must be in the past",
         text(f"{REPORTED}/ipCaptureEvent/dateTime", FUTURE),
         "personOrUserReported/ipCaptureEvent/dateTime"),
    Rule("A", "ipCaptureEvent <possibleProxy> is a boolean",
         text(f"{REPORTED}/ipCaptureEvent/possibleProxy", "likely"), "possibleProxy"),
    Rule("A", "ipCaptureEvent <port> must be between 1 and 65535",
         text(f"{REPORTED}/ipCaptureEvent/port", "65536"),
         "personOrUserReported/ipCaptureEvent/port"),
    # A: deviceId
    Rule("A", "deviceId <idType> must not be blank", text(f"{REPORTED}/deviceId/idType", " "),
         "personOrUserReported/deviceId"),
    too_long("A", f"{REPORTED}/deviceId/idType", 255, "personOrUserReported/deviceId/idType"),
    Rule("A", "deviceId <idValue> is required", drop(f"{REPORTED}/deviceId/idValue"), "idValue"),
    Rule("A", "deviceId <idValue> must not be blank", text(f"{REPORTED}/deviceId/idValue", " "),
         "personOrUserReported/deviceId"),
    too_long("A", f"{REPORTED}/deviceId/idValue", 2083, "personOrUserReported/deviceId/idValue"),
    Rule("A", "deviceId <dateTime> must be in the past",
         text(f"{REPORTED}/deviceId/dateTime", FUTURE), "personOrUserReported/deviceId/dateTime"),
    # A: address
    too_long("A", f"{REPORTED_PERSON}/address/address", 255,
             "personOrUserReported/personOrUserReportedPerson/address/address"),
    too_long("A", f"{REPORTED_PERSON}/address/city", 100,
             "personOrUserReported/personOrUserReportedPerson/address/city"),
    too_long("A", f"{REPORTED_PERSON}/address/zipCode", 20,
             "personOrUserReported/personOrUserReportedPerson/address/zipCode"),
    Rule("A", "address <state> must be a US state or territory postal abbreviation",
         text(f"{REPORTED_PERSON}/address/state", "XY"),
         "personOrUserReported/personOrUserReportedPerson/address/state"),
    too_long("A", f"{REPORTED_PERSON}/address/nonUsaState", 100,
             "personOrUserReported/personOrUserReportedPerson/address/nonUsaState"),
    Rule("A", "address <country> must be an ISO 3166-1 alpha-2 code",
         text(f"{REPORTED_PERSON}/address/country", "ZZ"),
         "personOrUserReported/personOrUserReportedPerson/address/country"),
    Rule("A", "address type is one of its values", attr(f"{REPORTED_PERSON}/address", "type",
                                                         "Holiday"), "type"),
    # A: phone
    too_long("A", f"{REPORTED_PERSON}/phone", 50,
             "personOrUserReported/personOrUserReportedPerson/phone"),
    Rule("A", "phone must not start with its countryCallingCode",
         text(f"{REPORTED_PERSON}/phone", "+1 415 555 0101"),
         "personOrUserReported/personOrUserReportedPerson/phone"),
    Rule("A", "phone type is one of its values",
         attr(f"{REPORTED_PERSON}/phone", "type", "Pager"), "type"),
    Rule("A", "phone verified must be true when verificationDate is supplied",
         attr(f"{REPORTED_PERSON}/phone", "verified", "false"),
         "personOrUserReported/personOrUserReportedPerson/phone/@verified"),
    Rule("A", "phone verificationDate must be in the past",
         attr(f"{REPORTED_PERSON}/phone", "verificationDate", FUTURE),
         "personOrUserReported/personOrUserReportedPerson/phone/@verificationDate"),
    Rule("A", "phone countryCallingCode must match \\+[0-9]{1,3}",
         attr(f"{REPORTED_PERSON}/phone", "countryCallingCode", "+1234"), "countryCallingCode"),
    Rule("A", "phone extension must match [0-9]+",
         attr(f"{REPORTED_PERSON}/phone", "extension", "12a"), "extension"),
    Rule("A", "phone extension max length is 10 characters",
         attr(f"{REPORTED_PERSON}/phone", "extension", "1" * 11),
         "personOrUserReported/personOrUserReportedPerson/phone/@extension"),
    # A: email
    Rule("A", "email must be a well-formed e-mail address",
         text(f"{REPORTED_PERSON}/email", "suspect.example.com"),
         "personOrUserReported/personOrUserReportedPerson/email"),
    Rule("A", "email max length is 255 characters",
         text(f"{REPORTED_PERSON}/email", "s@" + "e" * 250 + ".com"),
         "personOrUserReported/personOrUserReportedPerson/email"),
    Rule("A", "email local part max length is 64 characters",
         text(f"{REPORTED_PERSON}/email", "s" * 65 + "@example.com"),
         "personOrUserReported/personOrUserReportedPerson/email"),
    Rule("A", "email type is one of its values",
         attr(f"{REPORTED_PERSON}/email", "type", "Spam"), "type"),
    Rule("A", "email verified must be true when verificationDate is supplied",
         drop_attr(f"{REPORTED_PERSON}/email", "verified"),
         "personOrUserReported/personOrUserReportedPerson/email/@verified"),
    Rule("A", "email verificationDate must be in the past",
         attr(f"{REPORTED_PERSON}/email", "verificationDate", FUTURE),
         "personOrUserReported/personOrUserReportedPerson/email/@verificationDate"),
    # A: estimatedLocation
    too_long("A", f"{REPORTED}/estimatedLocation/city", 255,
             "personOrUserReported/estimatedLocation/city"),
    too_long("A", f"{REPORTED}/estimatedLocation/region", 255,
             "personOrUserReported/estimatedLocation/region"),
    Rule("A", "estimatedLocation <region> must be a US state when <countryCode> is US",
         text(f"{REPORTED}/estimatedLocation/region", "Bavaria"),
         "personOrUserReported/estimatedLocation/region"),
    Rule("A", "estimatedLocation <region> must not be blank with a <city> in the US",
         drop(f"{REPORTED}/estimatedLocation/region"),
         "personOrUserReported/estimatedLocation/region"),
    Rule("A", "estimatedLocation <countryCode> must not be blank",
         drop(f"{REPORTED}/estimatedLocation/countryCode"),
         "personOrUserReported/estimatedLocation/countryCode"),
    Rule("A", "estimatedLocation <countryCode> must be an ISO 3166-1 alpha-2 code",
         text(f"{REPORTED}/estimatedLocation/countryCode", "QQ"),
         "personOrUserReported/estimatedLocation/countryCode"),
    Rule("A", "estimatedLocation timestamp must be in the past",
         attr(f"{REPORTED}/estimatedLocation", "timestamp", FUTURE),
         "personOrUserReported/estimatedLocation/@timestamp"),
    Rule("A", "estimatedLocation verified is a boolean",
         attr(f"{REPORTED}/estimatedLocation", "verified", "sure"), "verified"),
]

# Appendix E.1 on <report>: a batched report (which passes) with one thing it may not carry.
BATCHED: Final = {
    "batched_report": {"reason": BatchReason.VIRAL_POTENTIAL_MEME},
    "incident_type": IncidentType.CHILD_PORNOGRAPHY,
    "incident_date_time": datetime(2026, 10, 1, tzinfo=UTC),
    "reported_people": [{"esp_identifier": "u-1"}, {"esp_identifier": "u-2"}],
    "reporter": {"reporting_person": {"emails": [{"address": "reports@example-esp.example"}]}},
}
BATCHED_RULES: Final[list[Rule]] = [
    Rule("E.1", "personOrUserReported holds only espIdentifier",
         after(f"{REPORTED}[1]/espIdentifier", "screenName", "someone"),
         "personOrUserReported may only carry espIdentifier"),
    Rule("E.1", "no escalateToHighPriority",
         after(f"{SUMMARY}/incidentType", "escalateToHighPriority", "now"),
         "incidentSummary/escalateToHighPriority"),
    Rule("E.1", "no internetDetails",
         lambda root: _find(root, SUMMARY).addnext(etree.fromstring(
             "<internetDetails><chatImIncident/></internetDetails>")), "internetDetails"),
    Rule("E.1", "no lawEnforcement",
         lambda root: _find(root, SUMMARY).addnext(etree.fromstring(
             "<lawEnforcement><agencyName>Example PD</agencyName></lawEnforcement>")),
         "lawEnforcement"),
    Rule("E.1", "no intendedRecipient", after(f"{REPORTED}[2]", "intendedRecipient"),
         "intendedRecipient"),
    Rule("E.1", "no victim",
         lambda root: _find(root, f"{REPORTED}[2]").addnext(etree.fromstring(
             "<victim><victimPerson><age>12</age></victimPerson></victim>")), "victim"),
    Rule("E.1", "no additionalInfo", after(f"{REPORTED}[2]", "additionalInfo", "note"),
         "additionalInfo"),
]

F: Final = "/fileDetails"
FILE_RULES: Final[list[Rule]] = [
    Rule("C", "<reportId> is required (1)", drop(f"{F}/reportId"), "reportId"),
    Rule("C", "<fileId> is required (1)", drop(f"{F}/fileId"), "fileId"),
    Rule("C", "<fileId> must be a valid file id for the report", text(f"{F}/fileId", "999999"),
         "999999", code=5002),
    Rule("C", "<fileId> must not be blank", text(f"{F}/fileId", " "), "file", code=5002),
    Rule("C", "<reportId> must be a valid CyberTipline report id",
         text(f"{F}/reportId", "999999999"), "999999999", code=5001),
    too_long("C", f"{F}/originalFileName", 2056, "originalFileName"),
    Rule("C", "<uploadedToEspTimestamp> must be in the past",
         text(f"{F}/uploadedToEspTimestamp", FUTURE), "uploadedToEspTimestamp"),
    Rule("C", "<locationOfFile> must be a valid URL", text(f"{F}/locationOfFile", "cdn"),
         "locationOfFile"),
    too_long("C", f"{F}/locationOfFile", 2083, "locationOfFile", url=True),
    Rule("C", "<fileViewedByEsp> must be true when <exifViewedByEsp> is true",
         text(f"{F}/fileViewedByEsp", "false"), "fileViewedByEsp"),
    Rule("C", "<fileRelevance> is one of its values", text(f"{F}/fileRelevance", "Context"),
         "fileRelevance"),
    Rule("C", "<fileRelevance> may not be Supplemental Reported with a potential meme",
         both(text(f"{F}/fileRelevance", "Supplemental Reported"),
              drop(f"{F}/industryClassification")), "fileRelevance"),
    Rule("C", "<fileRelevance> may not be Supplemental Reported with an industryClassification",
         both(text(f"{F}/fileRelevance", "Supplemental Reported"),
              drop(f"{F}/fileAnnotations/potentialMeme")), "fileRelevance"),
    Rule("C", "<industryClassification> is one of A1, A2, B1, B2",
         text(f"{F}/industryClassification", "C1"), "industryClassification"),
    Rule("C.1", "<fileAnnotations> holds only its tags",
         after(f"{F}/fileAnnotations/infant", "cute"), "cute"),
    Rule("C.2", "hashType is required", drop_attr(f"{F}/originalFileHash", "hashType"),
         "hashType"),
    Rule("C.2", "hashType max length is 64 characters",
         attr(f"{F}/originalFileHash", "hashType", "H" * 65), "originalFileHash/@hashType"),
    Rule("C", "<ipCaptureEvent> is 0|1", twice(f"{F}/ipCaptureEvent"), "ipCaptureEvent"),
    Rule("C (A)", "ipCaptureEvent <port> must be between 1 and 65535",
         text(f"{F}/ipCaptureEvent/port", "0"), "ipCaptureEvent/port"),
    Rule("C.3", "<nameValuePair> is required (1+)", drop(f"{F}/details/nameValuePair"),
         "nameValuePair"),
    Rule("C.3", "<name> max length is 64 characters",
         text(f"{F}/details/nameValuePair/name", "n" * 65), "details/nameValuePair/name"),
    Rule("C.3", "details type is one of EXIF, HASH", attr(f"{F}/details", "type", "XMP"),
         "type"),
]

BATCHED_FILE: Final[dict[str, Any]] = {"annotations": [FileAnnotation.VIRAL]}
BATCHED_FILE_RULES: Final[list[Rule]] = [
    Rule("E.1", "the file must be annotated viral and/or potential meme",
         lambda root: _find(root, f"{F}/fileAnnotations").remove(
             _find(root, f"{F}/fileAnnotations/viral")), "fileAnnotations"),
    *[Rule("E.1", f"no {tag} annotation", after(f"{F}/fileAnnotations/viral", tag),
           "fileAnnotations")
      for tag in ("animeDrawingVirtualHentai", "possibleSelfProduction", "physicalHarm",
                  "violenceGore", "bestiality", "liveStreaming", "infant", "generativeAi")],
    Rule("E.1", "no originalFileName", after(f"{F}/fileId", "originalFileName", "a.jpg"),
         "originalFileName"),
    Rule("E.1", "no originalFileHash",
         lambda root: _find(root, f"{F}/fileAnnotations").addnext(etree.fromstring(
             '<originalFileHash hashType="MD5">' + "0" * 32 + "</originalFileHash>")),
         "originalFileHash"),
    Rule("E.1", "no locationOfFile",
         after(f"{F}/fileId", "locationOfFile", "https://cdn.example.com/a"), "locationOfFile"),
    Rule("E.1", "no ipCaptureEvent",
         lambda root: _find(root, f"{F}/fileAnnotations").addnext(etree.fromstring(
             "<ipCaptureEvent><ipAddress>192.0.2.1</ipAddress></ipCaptureEvent>")),
         "ipCaptureEvent"),
    Rule("E.1", "no deviceId",
         lambda root: _find(root, f"{F}/fileAnnotations").addnext(etree.fromstring(
             "<deviceId><idType>IMEI</idType><idValue>490154203237518</idValue></deviceId>")),
         "deviceId"),
    Rule("E.1", "no details",
         lambda root: _find(root, f"{F}/fileAnnotations").addnext(etree.fromstring(
             "<details><nameValuePair><name>a</name><value>b</value></nameValuePair></details>")),
         "details"),
    Rule("E.1", "no additionalInfo", after(f"{F}/fileAnnotations", "additionalInfo", "x"),
         "additionalInfo"),
    Rule("E.1", "fileRelevance must be Reported",
         lambda root: _find(root, f"{F}/fileAnnotations").addprevious(
             etree.fromstring("<fileRelevance>Supplemental Reported</fileRelevance>")),
         "fileRelevance"),
]


def _id(rule: Rule) -> str:
    return f"{rule.ref} {rule.says}"


# -- running a row -------------------------------------------------------------------------------

def changed(document: bytes, change: Change | None) -> bytes:
    root = etree.fromstring(document)
    if change is not None:
        change(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def response_is_valid(answer: Answer) -> None:
    """Every answer, a refusal too, is valid against the XSD with the endpoint's root."""
    schema = etree.XMLSchema(etree.parse(str(XSD_PATH)))
    assert schema.validate(etree.fromstring(answer.body)), schema.error_log


def description(answer: Answer) -> str:
    return str(answer.fields.get("responseDescription")
               or answer.headers.get("X-Response-Description") or "")


def refused_as(answer: Answer, rule: Rule) -> None:
    status = {4100: 400, 5001: 404, 5002: 404}[rule.code]
    assert (answer.status, answer.code) == (status, rule.code), answer.body
    assert rule.where in description(answer), (rule.where, description(answer))
    response_is_valid(answer)


async def reports(db: Database) -> int:
    records = await db.read(lambda tx: run(tx, "MATCH (r:Report) RETURN count(r) AS n"))
    return int(records[0]["n"])


async def test_the_valid_documents_pass(ispws: Ispws) -> None:
    for document in (report_xml(MAXIMAL_REPORT), report_xml(BATCHED)):
        opened = await ispws.submit(document)
        assert opened.code == 0, opened.body
        file_id = (await ispws.upload(opened.fields["reportId"], b"synthetic")).fields["fileId"]
        details = MAXIMAL_FILE if document != report_xml(BATCHED) else BATCHED_FILE
        answer = await ispws.fileinfo(file_details_xml(int(opened.fields["reportId"]), file_id,
                                                       details))
        assert answer.code == 0, answer.body
        assert answer.fields["fileId"] == file_id  # echoed, as NCMEC's server does
        done = await ispws.finish(opened.fields["reportId"])
        assert (done.code, done.root) == (0, "reportDoneResponse")


async def test_an_account_may_be_re_enabled_in_the_future(ispws: Ispws) -> None:
    """reenabledDate's one rule is "after disabledDate": unlike the other dates, it may lie
    ahead (an account suspended until a date still to come)."""
    document = changed(report_xml(MAXIMAL_REPORT), attr(
        f"{REPORTED}/accountTemporarilyDisabled", "reenabledDate", FUTURE))
    assert (await ispws.submit(document)).code == 0


@pytest.mark.parametrize("rule", REPORT_RULES, ids=_id)
async def test_report_rule(ispws: Ispws, db: Database, rule: Rule) -> None:
    refused_as(await ispws.submit(changed(report_xml(MAXIMAL_REPORT), rule.change)), rule)
    assert await reports(db) == 0


@pytest.mark.parametrize("rule", BATCHED_RULES, ids=_id)
async def test_batched_report_rule(ispws: Ispws, db: Database, rule: Rule) -> None:
    refused_as(await ispws.submit(changed(report_xml(BATCHED), rule.change)), rule)
    assert await reports(db) == 0


async def _file_rule(ispws: Ispws, db: Database, rule: Rule, report: bytes,
                     details: dict[str, Any]) -> None:
    report_id = int((await ispws.submit(report)).fields["reportId"])
    file_id = (await ispws.upload(report_id, b"synthetic")).fields["fileId"]
    refused_as(await ispws.fileinfo(changed(file_details_xml(report_id, file_id, details),
                                            rule.change)), rule)
    kept = await db.read(lambda tx: run(tx, """
        MATCH (f:File) RETURN f.detailsAt IS NOT NULL OR f.originalFileName IS NOT NULL
                              OR size(coalesce(f.annotations, [])) > 0 AS kept"""))
    assert [r["kept"] for r in kept] == [False]  # nothing of the refused details was kept


@pytest.mark.parametrize("rule", FILE_RULES, ids=_id)
async def test_file_details_rule(ispws: Ispws, db: Database, rule: Rule) -> None:
    await _file_rule(ispws, db, rule, report_xml(MAXIMAL_REPORT), MAXIMAL_FILE)


@pytest.mark.parametrize("rule", BATCHED_FILE_RULES, ids=_id)
async def test_batched_file_details_rule(ispws: Ispws, db: Database, rule: Rule) -> None:
    await _file_rule(ispws, db, rule, report_xml(BATCHED), BATCHED_FILE)


# -- Appendix D: every code an endpoint answers, in that endpoint's root ------------------------

@dataclass
class Clients:
    esp: Ispws
    other_esp: Ispws
    anonymous: Ispws

    async def opened(self) -> str:
        return str((await self.esp.submit(report_xml(MAXIMAL_REPORT))).fields["reportId"])

    async def with_file(self) -> tuple[str, str]:
        report_id = await self.opened()
        return report_id, str((await self.esp.upload(report_id, b"synthetic")).fields["fileId"])

    async def finished(self) -> str:
        report_id = await self.opened()
        await self.esp.finish(report_id)
        return report_id

    async def retracted(self) -> str:
        report_id = await self.opened()
        await self.esp.retract(report_id)
        return report_id

    async def details(self, report_id: str, file_id: str) -> Answer:
        return await self.esp.fileinfo(file_details_xml(int(report_id), file_id, MAXIMAL_FILE))


async def _status(ispws: Ispws) -> Answer:
    return answer(await ispws.client.get("/status"))


async def _upload_without_id(c: Clients) -> Answer:
    return answer(await c.esp.client.post("/upload", files={"file": ("a.jpg", b"x")}))


async def _upload_without_file(c: Clients) -> Answer:
    return answer(await c.esp.client.post("/upload", files={"id": (None, await c.opened())}))


async def _finish_without_id(c: Clients) -> Answer:
    return answer(await c.esp.client.post("/finish", files={"other": (None, "1")}))


async def _details_twice(c: Clients) -> Answer:
    report_id, file_id = await c.with_file()
    await c.details(report_id, file_id)
    return await c.details(report_id, file_id)


async def _details_when_finished(c: Clients) -> Answer:
    report_id, file_id = await c.with_file()
    await c.esp.finish(report_id)
    return await c.details(report_id, file_id)


async def _finish_twice(c: Clients) -> Answer:
    return await c.esp.finish(await c.finished())


async def _then(first: Awaitable[T], then: Callable[[T], Awaitable[Answer]]) -> Answer:
    return await then(await first)


async def _batched_two(c: Clients) -> Answer:
    report_id = str((await c.esp.submit(report_xml(BATCHED))).fields["reportId"])
    await c.esp.upload(report_id, b"one")
    await c.esp.upload(report_id, b"two")
    return await c.esp.finish(report_id)


@dataclass(frozen=True)
class Reply:
    endpoint: str
    situation: str
    act: Callable[[Clients], Awaitable[Answer]]
    status: int
    code: int

    @property
    def root(self) -> str:
        return "reportDoneResponse" if self.endpoint == "/finish" else "reportResponse"


WRONG_ROOT: Final = b"<fileDetails><reportId>1</reportId><fileId>1</fileId></fileDetails>"
REPLIES: Final[list[Reply]] = [
    Reply("/status", "good credentials", lambda c: _status(c.esp), 200, 0),
    Reply("/status", "no credentials", lambda c: _status(c.anonymous), 401, 2000),
    Reply("/submit", "a valid report", lambda c: c.esp.submit(report_xml(MAXIMAL_REPORT)),
          200, 0),
    Reply("/submit", "no credentials",
          lambda c: c.anonymous.submit(report_xml(MAXIMAL_REPORT)), 401, 2000),
    Reply("/submit", "not well-formed", lambda c: c.esp.submit(b"<report><incident"), 400, 4110),
    Reply("/submit", "a DOCTYPE",
          lambda c: c.esp.submit(b'<!DOCTYPE report [<!ENTITY x "y">]><report/>'), 400, 4110),
    Reply("/submit", "another root", lambda c: c.esp.submit(WRONG_ROOT), 400, 4100),
    Reply("/submit", "not valid", lambda c: c.esp.submit(b"<report/>"), 400, 4100),
    Reply("/upload", "a file", lambda c: _then(c.opened(), lambda rid: c.esp.upload(rid, b"x")),
          200, 0),
    Reply("/upload", "no id", _upload_without_id, 400, 4000),
    Reply("/upload", "an id that is not a number",
          lambda c: c.esp.upload("abc", b"x"), 400, 4000),
    Reply("/upload", "no file part", _upload_without_file, 400, 4200),
    Reply("/upload", "a report that does not exist", lambda c: c.esp.upload(987654321, b"x"),
          404, 5001),
    Reply("/upload", "another ESP's report",
          lambda c: _then(c.opened(), lambda rid: c.other_esp.upload(rid, b"x")), 404, 5001),
    Reply("/upload", "a finished report",
          lambda c: _then(c.finished(), lambda rid: c.esp.upload(rid, b"x")), 409, 5102),
    Reply("/upload", "a retracted report",
          lambda c: _then(c.retracted(), lambda rid: c.esp.upload(rid, b"x")), 409, 5101),
    Reply("/fileinfo", "details of an uploaded file",
          lambda c: _then(c.with_file(), lambda ids: c.details(*ids)), 200, 0),
    Reply("/fileinfo", "a file that does not exist",
          lambda c: _then(c.opened(), lambda rid: c.details(rid, "424242")), 404, 5002),
    Reply("/fileinfo", "a report that does not exist",
          lambda c: c.details("987654321", "1"), 404, 5001),
    Reply("/fileinfo", "details given twice", _details_twice, 400, 4100),
    Reply("/fileinfo", "a finished report", _details_when_finished, 409, 5102),
    Reply("/fileinfo", "not well-formed", lambda c: c.esp.fileinfo(b"<fileDetails>"), 400, 4110),
    Reply("/finish", "an open report", lambda c: _then(c.opened(), c.esp.finish), 200, 0),
    Reply("/finish", "no credentials", lambda c: c.anonymous.finish(1), 401, 2000),
    Reply("/finish", "no id", _finish_without_id, 400, 4000),
    Reply("/finish", "a report that does not exist", lambda c: c.esp.finish(987654321), 404,
          5001),
    Reply("/finish", "another ESP's report",
          lambda c: _then(c.opened(), c.other_esp.finish), 404, 5001),
    Reply("/finish", "a finished report", _finish_twice, 409, 5102),
    Reply("/finish", "a retracted report", lambda c: _then(c.retracted(), c.esp.finish), 409,
          5101),
    Reply("/finish", "a batched report with two files (E.1)", lambda c: _batched_two(c), 400,
          4100),
    Reply("/retract", "an open report", lambda c: _then(c.opened(), c.esp.retract), 200, 0),
    Reply("/retract", "a finished report", lambda c: _then(c.finished(), c.esp.retract), 409,
          5102),
    Reply("/retract", "a retracted report", lambda c: _then(c.retracted(), c.esp.retract), 409,
          5101),
    Reply("/retract", "a report that does not exist", lambda c: c.esp.retract(987654321), 404,
          5001),
]


@pytest.fixture
async def clients(app: Starlette, db: Database, ispws: Ispws) -> AsyncIterator[Clients]:
    await register_reporter(db, "other-esp", "Other ESP")
    async with ispws_client(app, *await issue_credentials(db, "other-esp")) as other, \
            ispws_client(app, "nobody", "wrong") as anonymous:
        anonymous.auth = None  # type: ignore[assignment]
        yield Clients(ispws, Ispws(other), Ispws(anonymous))


@pytest.mark.parametrize("reply", REPLIES, ids=lambda r: f"{r.endpoint} {r.situation}")
async def test_reply(clients: Clients, reply: Reply) -> None:
    got = await reply.act(clients)
    assert (got.status, got.code, got.root) == (reply.status, reply.code, reply.root), got.body
    response_is_valid(got)
    if reply.code == 0 and reply.endpoint == "/upload":
        assert got.fields["fileId"]  # D.1: the file's id and its MD5
        assert len(got.fields["hash"]) == 32
    if reply.code == 0 and reply.endpoint == "/fileinfo":
        assert got.fields["fileId"]  # echoed, as NCMEC's server does
    if reply.code and reply.endpoint == "/finish":
        assert got.headers["X-Response-Description"]  # the type has no description element
    elif reply.code:
        assert got.fields["responseDescription"]
