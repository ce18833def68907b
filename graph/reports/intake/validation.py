"""Validate a report document and plan what it writes: report properties and identifier links.

A *report document* is the one shape both ESP doors produce: a mapping with snake_case keys
mirroring the CyberTipline model (``incident_type``, ``reported_people``, ...), enum members from
:mod:`graph.core.vocabulary`, aware ``datetime``/``date`` values. The GraphQL door gets it from
``strawberry.asdict``; the XML door builds it from ``<report>``. Nothing here touches the graph.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Any, Final

from graph.core.errors import BadInput
from graph.core.vocabulary import (
    BatchReason,
    FileAnnotation,
    FileRelevance,
    MentionRole,
    ReportAnnotation,
    countries,
    us_states,
)
from graph.identifiers.identity import (
    NormalisedIdentifier,
    normalise_device_id,
    normalise_email,
    normalise_esp_account,
    normalise_hash,
    normalise_ip,
    normalise_phone,
    normalise_screen_name,
    normalise_url,
)
from graph.identifiers.keyed_ids import IdentifierIds

# The reference's max lengths (Appendices A-C; the XSD itself has none), by field name. Where one
# name has different limits in different types, the enclosing key decides first
# (MAX_LENGTHS_IN). Strings not named here are capped by Limits.max_string_length.
MAX_LENGTHS: Final[dict[str, int]] = {
    "platform": 256, "escalate_to_high_priority": 3000, "incident_date_time_description": 3000,
    "first_name": 100, "last_name": 100, "middle_name": 256, "address": 255, "city": 100,
    "zip_code": 20, "non_usa_state": 100, "screen_name": 256, "display_names": 255,
    "profile_urls": 2083, "esp_identifier": 255, "esp_service": 100, "vehicle_description": 300,
    "group_identifier": 255, "school_name": 255, "agency_name": 255, "case_number": 100,
    "legal_url": 2083, "urls": 2083, "name": 255, "chat_client": 255, "chat_room_name": 255,
    "game_name": 255, "console": 255, "location_name": 255, "client": 255, "region": 255,
    "file_name": 2056, "original_file_name": 2056, "location_of_file": 2083, "id_type": 255,
    "id_value": 2083, "extension": 10, "number": 50, "country_calling_code": 4,
    "algorithm": 64, "value": 100_000,
}
MAX_LENGTHS_IN: Final[dict[tuple[str, str], int]] = {
    # B.8: an associated account's names and account facts allow 256
    **{("associated_accounts", name): 256 for name in (
        "first_name", "last_name", "esp_service", "esp_identifier", "group_identifier")},
    ("estimated_location", "city"): 255,  # A: estimatedLocation (an address's city is 100)
    ("name_value_pairs", "name"): 64,  # C.3
}
CLOCK_SKEW: Final = timedelta(minutes=5)
PARTY_KEYS: Final = (
    ("reported_people", MentionRole.REPORTED_PERSON),
    ("intended_recipients", MentionRole.INTENDED_RECIPIENT),
    ("victims", MentionRole.VICTIM),
)
INCIDENT_KINDS: Final = ("web_page", "email", "newsgroup", "chat_im", "online_gaming",
                         "cell_phone", "non_internet", "peer2peer")
BATCH_RULE: Final = "VIRAL_POTENTIAL_MEME batched report (Appendix E.1)"
BATCH_PERSON_FIELDS: Final = frozenset({"esp_identifier", "esp_service"})
BATCH_FILE_FORBIDDEN: Final = ("originalFileName", "locationOfFile", "ipCaptureEvent",
                               "deviceIds", "details", "additionalInfo")
BATCH_FILE_ANNOTATIONS: Final = frozenset({FileAnnotation.VIRAL.name,
                                           FileAnnotation.POTENTIAL_MEME.name})


@dataclass(frozen=True, slots=True)
class Limits:
    max_string_length: int = 100_000
    max_list_length: int = 1_000
    default_phone_region: str = "US"
    max_identifiers: int = 2_000  # links from one report (and its files) to identifiers


@dataclass(frozen=True, slots=True)
class Mention:
    """One link from a report to an identifier, with the facts of its capture."""

    identifier: NormalisedIdentifier
    role: MentionRole
    party: int | None = None
    event: str | None = None
    at: datetime | None = None
    port: int | None = None
    possible_proxy: bool | None = None
    file_index: int | None = None

    def as_param(self, ids: IdentifierIds, file_id: int | None = None) -> dict[str, Any]:
        ident = self.identifier
        rel = {"role": self.role.value, "party": self.party, "event": self.event,
               "at": self.at, "port": self.port, "possibleProxy": self.possible_proxy,
               "fileId": file_id, "source": "ESP"}
        return {"key": ident.key, "id": ids.of(ident.key), "kind": ident.kind.value,
                "value": ident.value, "scope": ident.scope,
                "rel": {k: v for k, v in rel.items() if v is not None}}


@dataclass(frozen=True, slots=True)
class FilePlan:
    props: dict[str, Any]
    hashes: tuple[NormalisedIdentifier, ...]
    mentions: tuple[Mention, ...]
    relevance: FileRelevance
    annotations: frozenset[FileAnnotation]


@dataclass(frozen=True, slots=True)
class ReportPlan:
    props: dict[str, Any]
    mentions: tuple[Mention, ...]
    files: tuple[FilePlan, ...] = field(default=())
    batch_reason: BatchReason | None = None


def in_vocabulary_order(vocabulary: type[Enum], chosen: Iterable[Enum] | None) -> list[str]:
    """Member names of ``chosen``, once each, in the order the vocabulary (XSD) lists them."""
    wanted = set(chosen or ())
    return [member.name for member in vocabulary if member in wanted]


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def graphql_input(value: Any) -> Any:
    """A report document as the GraphQL door's input: camelCase keys, enum names, ISO times
    (the inverse of the door's ``strawberry.asdict``; for clients, tests and benchmarks)."""
    if isinstance(value, dict):
        return {camel(k): graphql_input(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [graphql_input(v) for v in value]
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _path(parts: Sequence[str | int]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (("." if out else "") + camel(part))
    return out


# -- generic checks ------------------------------------------------------------------------------

def _walk(value: Any, path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    yield path, value
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _walk(item, (*path, key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _walk(item, (*path, index))


# Dates the reference does not require in the past: an account may be re-enabled on a date
# still to come (its only rule: after disabledDate).
MAY_BE_FUTURE: Final = frozenset({"reenabled_date"})


def check_document(document: Mapping[str, Any], limits: Limits, now: datetime) -> None:
    """String lengths, list sizes, time zones and "must be in the past" (every date but those
    in :data:`MAY_BE_FUTURE`), everywhere."""
    for path, value in _walk(document, ()):
        names = [p for p in path if isinstance(p, str)]
        name = names[-1] if names else ""
        if isinstance(value, str):
            enclosing = names[-2] if len(names) > 1 else ""
            cap = min(MAX_LENGTHS_IN.get((enclosing, name), MAX_LENGTHS.get(name, sys.maxsize)),
                      limits.max_string_length)
            if len(value) > cap:
                raise BadInput(f"{_path(path)} is longer than {cap} characters",
                               field=_path(path))
            if "\x00" in value:
                raise BadInput(f"{_path(path)} contains a NUL character", field=_path(path))
        elif isinstance(value, list | tuple) and len(value) > limits.max_list_length:
            raise BadInput(f"{_path(path)} has more than {limits.max_list_length} items",
                           field=_path(path))
        elif isinstance(value, datetime):
            if value.tzinfo is None or value.utcoffset() is None:
                raise BadInput(f"{_path(path)} needs a time zone offset (e.g. +00:00 or Z)",
                               field=_path(path))
            if value > now + CLOCK_SKEW and name not in MAY_BE_FUTURE:
                raise BadInput(f"{_path(path)} must be in the past", field=_path(path))
        elif isinstance(value, date) and value > now.date():
            raise BadInput(f"{_path(path)} must be in the past", field=_path(path))


def _check_country(code: str | None, path: str) -> None:
    if code and code not in countries():
        raise BadInput(f"{path} must be an ISO 3166-1 alpha-2 country code", field=path)


def _check_state(code: str | None, path: str) -> None:
    if code and code not in us_states():
        raise BadInput(f"{path} must be a US state or territory postal abbreviation", field=path)


def _check_verified(item: Mapping[str, Any], path: str) -> None:
    """Appendix A: ``verified`` must be true when ``verificationDate`` is supplied."""
    if item.get("verification_date") is not None and item.get("verified") is not True:
        raise BadInput(f"{path}.verified must be true when verificationDate is supplied",
                       field=f"{path}.verified")


def _check_phone(phone: Mapping[str, Any], path: str) -> None:
    """Appendix A's phone: verification, extension digits, and a number that does not repeat
    its countryCallingCode."""
    _check_verified(phone, path)
    if phone.get("extension") and not re.fullmatch(r"[0-9]+", phone["extension"]):
        raise BadInput(f"{path}.extension must be digits", field=f"{path}.extension")
    code = phone.get("country_calling_code")
    number = (phone.get("number") or "").strip()
    if code and (number.startswith(("+", "00")) or re.match(
            rf"\(?{re.escape(code.lstrip('+'))}\b", number)):
        raise BadInput(f"{path}.number must not start with the country calling code {code} "
                       "(it is given in countryCallingCode)", field=f"{path}.number")


def _check_contact(person: Mapping[str, Any] | None, path: str) -> None:
    """Addresses, e-mails, phones and age of any person-like mapping."""
    if not person:
        return
    for i, address in enumerate(person.get("addresses") or ()):
        _check_country(address.get("country"), f"{path}.addresses[{i}].country")
        _check_state(address.get("state"), f"{path}.addresses[{i}].state")
    for i, email in enumerate(person.get("emails") or ()):
        _check_verified(email, f"{path}.emails[{i}]")
    for i, phone in enumerate(person.get("phones") or ()):
        _check_phone(phone, f"{path}.phones[{i}]")
    for key in ("age", "approximate_age"):
        age = person.get(key)
        if age is not None and not 0 <= age <= 150:
            raise BadInput(f"{path}.{camel(key)} must be between 0 and 150",
                           field=f"{path}.{camel(key)}")


def _check_disabled(flag: Mapping[str, Any] | None, path: str) -> None:
    if not flag:
        return
    disabled, notified = flag.get("disabled_date"), flag.get("user_notified_date")
    reenabled = flag.get("reenabled_date")
    if disabled and notified and notified < disabled:
        raise BadInput(f"{path}.userNotifiedDate must be on or after disabledDate",
                       field=f"{path}.userNotifiedDate")
    if disabled and reenabled and reenabled <= disabled:
        raise BadInput(f"{path}.reenabledDate must be after disabledDate",
                       field=f"{path}.reenabledDate")


def _check_location(location: Mapping[str, Any] | None, path: str) -> None:
    """Appendix A's estimatedLocation: a country code always; for the US a state as region,
    required when a city is given."""
    if location is None:
        return
    country = (location.get("country_code") or "").strip()
    if not country:
        raise BadInput(f"{path}.countryCode must not be blank when estimatedLocation is "
                       "supplied", field=f"{path}.countryCode")
    _check_country(country, f"{path}.countryCode")
    if country == "US":
        region = (location.get("region") or "").strip()
        if location.get("city") and not region:
            raise BadInput(f"{path}.region must not be blank when a city is supplied in the US",
                           field=f"{path}.region")
        _check_state(region, f"{path}.region")


def _check_prior_reports(holder: Mapping[str, Any], path: str) -> None:
    """B.5-B.8: a prior CyberTipline report id is a positive number. (Whether such a report
    exists is not checked: answering that would tell one ESP about another's reports.)"""
    for i, report_id in enumerate(holder.get("prior_ct_reports") or ()):
        if report_id <= 0:
            raise BadInput(f"{path}.priorCtReports[{i}] must be a CyberTipline report id "
                           "(a positive number)", field=f"{path}.priorCtReports[{i}]")


# -- identifiers ---------------------------------------------------------------------------------

class _Collector:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.mentions: list[Mention] = []

    def add(self, identifier: NormalisedIdentifier, role: MentionRole, **facts: Any) -> None:
        self.mentions.append(Mention(identifier=identifier, role=role, **facts))

    def capture_event(self, event: Mapping[str, Any], role: MentionRole, path: str,
                      **facts: Any) -> None:
        port = event.get("port")
        if port is not None and not 1 <= port <= 65535:
            raise BadInput(f"{path}.port must be between 1 and 65535", field=f"{path}.port")
        name = event.get("event_name")
        self.add(normalise_ip(event.get("ip_address") or "", f"{path}.ipAddress"), role,
                 event=name.name if isinstance(name, Enum) else None, at=event.get("date_time"),
                 port=port, possible_proxy=event.get("possible_proxy"), **facts)

    def device(self, device: Mapping[str, Any], role: MentionRole, path: str,
               **facts: Any) -> None:
        name = device.get("event_name")
        self.add(normalise_device_id(device.get("id_type") or "", device.get("id_value") or "",
                                     path), role,
                 event=name.name if isinstance(name, Enum) else None,
                 at=device.get("date_time"), **facts)

    def account(self, holder: Mapping[str, Any], role: MentionRole, path: str,
                party: int | None) -> None:
        """Screen name, ESP account, e-mails, phones, URLs, IPs and devices of one account."""
        service = holder.get("esp_service") or holder.get("platform")
        if holder.get("screen_name"):
            self.add(normalise_screen_name(holder["screen_name"], service, f"{path}.screenName"),
                     role, party=party)
        if holder.get("esp_identifier"):
            self.add(normalise_esp_account(holder["esp_identifier"], service,
                                           f"{path}.espIdentifier"), role, party=party)
        for i, email in enumerate(holder.get("emails") or ()):
            self.add(normalise_email(email.get("address") or "", f"{path}.emails[{i}]"), role,
                     party=party)
        for i, phone in enumerate(holder.get("phones") or ()):
            self.add(normalise_phone(phone.get("number") or "", phone.get("country_calling_code"),
                                     self.limits.default_phone_region, f"{path}.phones[{i}]"),
                     role, party=party)
        for i, url in enumerate(holder.get("profile_urls") or ()):
            self.add(normalise_url(url, f"{path}.profileUrls[{i}]"), role, party=party)
        for i, event in enumerate(holder.get("ip_capture_events") or ()):
            self.capture_event(event, role, f"{path}.ipCaptureEvents[{i}]", party=party)
        for i, device in enumerate(holder.get("device_ids") or ()):
            self.device(device, role, f"{path}.deviceIds[{i}]", party=party)


def _party_mentions(document: Mapping[str, Any], collector: _Collector) -> set[str]:
    """Link every party's identifiers; return the e-mail keys the parties name."""
    party_emails: set[str] = set()
    for key, role in PARTY_KEYS:
        for index, party in enumerate(document.get(key) or ()):
            path = f"{camel(key)}[{index}]"
            _check_contact(party, path)
            _check_disabled(party.get("account_temporarily_disabled"),
                            f"{path}.accountTemporarilyDisabled")
            _check_disabled(party.get("account_permanently_disabled"),
                            f"{path}.accountPermanentlyDisabled")
            _check_location(party.get("estimated_location"), f"{path}.estimatedLocation")
            _check_prior_reports(party, path)
            start = len(collector.mentions)
            collector.account(party, role, path, index)
            party_emails.update(m.identifier.key for m in collector.mentions[start:]
                                if m.identifier.kind == "EMAIL")
            for j, account in enumerate(party.get("associated_accounts") or ()):
                account_path = f"{path}.associatedAccounts[{j}]"
                if account.get("approximate_age") is not None and account.get("date_of_birth"):
                    raise BadInput(f"{account_path}.approximateAge may not be set when "
                                   "dateOfBirth is supplied",
                                   field=f"{account_path}.approximateAge")
                _check_contact(account, account_path)
                _check_disabled(account.get("account_temporarily_disabled"),
                                f"{account_path}.accountTemporarilyDisabled")
                _check_disabled(account.get("account_permanently_disabled"),
                                f"{account_path}.accountPermanentlyDisabled")
                _check_prior_reports(account, account_path)
                collector.account(account, MentionRole.ASSOCIATED_ACCOUNT, account_path, index)
    return party_emails


def _incident_mentions(document: Mapping[str, Any], collector: _Collector,
                       party_emails: set[str]) -> None:
    role = MentionRole.INCIDENT
    for index, details in enumerate(document.get("internet_details") or ()):
        present = [kind for kind in INCIDENT_KINDS if details.get(kind) is not None]
        if len(present) != 1:
            path = f"internetDetails[{index}]"
            raise BadInput(f"{path} must have exactly one kind of incident", field=path)
        kind = present[0]
        incident = details[kind]
        path = f"internetDetails[{index}].{camel(kind)}"
        for i, url in enumerate(incident.get("urls") or ()):
            collector.add(normalise_url(url, f"{path}.urls[{i}]"), role)
        for i, email in enumerate(incident.get("email_addresses") or ()):
            _check_verified(email, f"{path}.emailAddresses[{i}]")
            ident = normalise_email(email.get("address") or "", f"{path}.emailAddresses[{i}]")
            if ident.key not in party_emails:
                raise BadInput(
                    f"{path}.emailAddresses[{i}] must also be an e-mail of a reported person, "
                    "intended recipient or victim", field=f"{path}.emailAddresses[{i}]")
            collector.add(ident, role)
        phone = incident.get("phone_number")
        if phone:
            _check_phone(phone, f"{path}.phoneNumber")
            collector.add(normalise_phone(phone.get("number") or "",
                                          phone.get("country_calling_code"),
                                          collector.limits.default_phone_region,
                                          f"{path}.phoneNumber"), role)
        for i, event in enumerate(incident.get("ip_capture_events") or ()):
            collector.capture_event(event, role, f"{path}.ipCaptureEvents[{i}]")
        for i, address in enumerate(incident.get("incident_addresses") or ()):
            _check_country(address.get("country"), f"{path}.incidentAddresses[{i}].country")
            _check_state(address.get("state"), f"{path}.incidentAddresses[{i}].state")


# -- JSON for the graph --------------------------------------------------------------------------

def _jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items() if v is not None and v != []}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def to_json(value: Any) -> str | None:
    """Canonical JSON of a document part (enum names, ISO times, empty values dropped)."""
    if value is None or value == []:
        return None
    return json.dumps(_jsonable(value), sort_keys=True, separators=(",", ":"))


# -- plans ---------------------------------------------------------------------------------------

def plan_report(document: Mapping[str, Any], limits: Limits,
                now: datetime | None = None) -> ReportPlan:
    """Validate the report part of a document (everything but ``files``) and plan its writes."""
    now = now or datetime.now(UTC)
    body = {k: v for k, v in document.items() if k != "files"}
    check_document(body, limits, now)
    escalation = document.get("escalate_to_high_priority")
    if escalation is not None and not escalation.strip():
        raise BadInput("escalateToHighPriority must not be blank when supplied",
                       field="escalateToHighPriority")
    law = document.get("law_enforcement")
    if law:
        _check_country(law.get("flea_country"), "lawEnforcement.fleaCountry")
        _check_contact(law.get("officer_contact"), "lawEnforcement.officerContact")
    reporter = document.get("reporter") or {}
    reporting_person = reporter.get("reporting_person")
    if reporting_person is not None and not reporting_person.get("emails"):
        # B.4: "<email> is required" of the reporting person (the XML door always has one)
        raise BadInput("reporter.reportingPerson.emails must name at least one e-mail (B.4: "
                       "the reporting person's e-mail is required)",
                       field="reporter.reportingPerson.emails")
    _check_contact(reporting_person, "reporter.reportingPerson")
    _check_contact(reporter.get("contact_person"), "reporter.contactPerson")
    if reporter.get("legal_url"):
        normalise_url(reporter["legal_url"], "reporter.legalUrl")

    collector = _Collector(limits)
    party_emails = _party_mentions(document, collector)
    _incident_mentions(document, collector, party_emails)

    batch = document.get("batched_report")
    reason: BatchReason | None = batch.get("reason") if batch else None
    if reason is BatchReason.VIRAL_POTENTIAL_MEME:
        check_batched_report(document)
    elif len(document.get("reported_people") or ()) > 1:
        # B: personOrUserReported is 0|1; only a batched report names several (E.1)
        raise BadInput("reportedPeople[1] is not allowed: a report names at most one reported "
                       "person or user unless it is a batched report (Appendix E.1)",
                       field="reportedPeople[1]")

    annotations = in_vocabulary_order(ReportAnnotation, document.get("annotations"))
    props: dict[str, Any] = {
        "incidentType": document["incident_type"].name,
        "incidentAt": document["incident_date_time"],
        "incidentDateTimeDescription": document.get("incident_date_time_description"),
        "platform": document.get("platform"),
        "escalation": escalation,
        "escalated": escalation is not None,
        "annotations": annotations,
        "additionalInfo": document.get("additional_info"),
        "batchReason": reason.name if reason else None,
        "reportedPeople": to_json(document.get("reported_people")),
        "intendedRecipients": to_json(document.get("intended_recipients")),
        "victims": to_json(document.get("victims")),
        "internetDetails": to_json(document.get("internet_details")),
        "lawEnforcement": to_json(law),
        "reporterContact": to_json(document.get("reporter")),
    }
    return ReportPlan(
        props={k: v for k, v in props.items() if v is not None},
        mentions=tuple(sorted(collector.mentions, key=lambda m: m.identifier.key)),
        batch_reason=reason,
    )


def check_batched_report(document: Mapping[str, Any]) -> None:
    """Appendix E.1: what a VIRAL_POTENTIAL_MEME batched report may contain."""
    for key in ("escalate_to_high_priority", "internet_details", "law_enforcement",
                "intended_recipients", "victims", "additional_info"):
        if document.get(key):
            raise BadInput(f"{camel(key)} is not allowed in a {BATCH_RULE}", field=camel(key))
    for i, person in enumerate(document.get("reported_people") or ()):
        extra = sorted(k for k, v in person.items()
                       if v not in (None, [], False) and k not in BATCH_PERSON_FIELDS)
        if extra:
            raise BadInput(f"reportedPeople[{i}] may only carry espIdentifier in a {BATCH_RULE} "
                           f"(found {', '.join(camel(k) for k in extra)})",
                           field=f"reportedPeople[{i}]")


def check_batched_file(props: Mapping[str, Any], index: int) -> None:
    """Appendix E.1 on one file's graph properties (planned or stored)."""
    path = f"files[{index}]"
    annotations = set(props.get("annotations") or ())
    if not annotations & BATCH_FILE_ANNOTATIONS:
        raise BadInput(f"{path}.annotations must include VIRAL and/or POTENTIAL_MEME in a "
                       f"{BATCH_RULE}", field=f"{path}.annotations")
    others = sorted(annotations - BATCH_FILE_ANNOTATIONS)
    if others:
        raise BadInput(f"{path}.annotations may not include {', '.join(others)} in a "
                       f"{BATCH_RULE}", field=f"{path}.annotations")
    if props.get("relevance", FileRelevance.REPORTED.name) != FileRelevance.REPORTED.name:
        raise BadInput(f"{path}.relevance must be REPORTED in a {BATCH_RULE}",
                       field=f"{path}.relevance")
    present = [k for k in BATCH_FILE_FORBIDDEN if props.get(k) not in (None, [], "")]
    if present:
        raise BadInput(f"{path}.{present[0]} is not allowed in a {BATCH_RULE}"
                       + (f" (nor {', '.join(present[1:])})" if present[1:] else ""),
                       field=f"{path}.{present[0]}")


def plan_file(file: Mapping[str, Any], limits: Limits, index: int = 0,
              now: datetime | None = None) -> FilePlan:
    """Validate one file's details and plan its node, hashes and identifier links."""
    now = now or datetime.now(UTC)
    path = f"files[{index}]"
    check_document({"files": [file]}, limits, now)
    viewed, exif = file.get("viewed_by_esp"), file.get("exif_viewed_by_esp")
    if exif is True and viewed is not True:
        raise BadInput(f"{path}.viewedByEsp must be true when exifViewedByEsp is true",
                       field=f"{path}.viewedByEsp")
    relevance = file.get("relevance") or FileRelevance.REPORTED
    annotations = frozenset(file.get("annotations") or ())
    classification = file.get("industry_classification")
    if relevance is FileRelevance.SUPPLEMENTAL_REPORTED:
        if classification is not None:
            raise BadInput(f"{path}.relevance may not be SUPPLEMENTAL_REPORTED when an "
                           "industryClassification is supplied", field=f"{path}.relevance")
        if FileAnnotation.POTENTIAL_MEME in annotations:
            raise BadInput(f"{path}.relevance may not be SUPPLEMENTAL_REPORTED when the file is "
                           "annotated POTENTIAL_MEME", field=f"{path}.relevance")
    hashes: list[NormalisedIdentifier] = []
    for i, item in enumerate(file.get("hashes") or ()):
        hashes.append(normalise_hash(item.get("algorithm") or "", item.get("value") or "",
                                     f"{path}.hashes[{i}]"))
    collector = _Collector(limits)
    for ident in hashes:
        collector.add(ident, MentionRole.FILE, file_index=index)
    if file.get("location_of_file"):
        collector.add(normalise_url(file["location_of_file"], f"{path}.locationOfFile"),
                      MentionRole.FILE, file_index=index)
    if file.get("ip_capture_event"):
        collector.capture_event(file["ip_capture_event"], MentionRole.FILE,
                                f"{path}.ipCaptureEvent", file_index=index)
    for i, device in enumerate(file.get("device_ids") or ()):
        collector.device(device, MentionRole.FILE, f"{path}.deviceIds[{i}]", file_index=index)
    props: dict[str, Any] = {
        "fileName": file.get("file_name"),
        "originalFileName": file.get("original_file_name"),
        "locationOfFile": file.get("location_of_file"),
        "uploadedToEspAt": file.get("uploaded_to_esp_timestamp"),
        "viewedByEsp": viewed,
        "exifViewedByEsp": exif,
        "publiclyAvailable": file.get("publicly_available"),
        "relevance": relevance.name,
        "annotations": in_vocabulary_order(FileAnnotation, annotations),
        "industryClassification": classification.name if classification else None,
        "ipCaptureEvent": to_json(file.get("ip_capture_event")),
        "deviceIds": to_json(file.get("device_ids")),
        "details": to_json(file.get("details")),
        "additionalInfo": list(file.get("additional_info") or []) or None,
    }
    return FilePlan(
        props={k: v for k, v in props.items() if v is not None},
        hashes=tuple(hashes),
        mentions=tuple(collector.mentions),
        relevance=relevance,
        annotations=annotations,
    )
