"""Output types for the parts of a report an ESP describes (people, incidents, law enforcement).

They mirror the input types field for field and are built from the JSON stored on the report
(:func:`resolvers.build.build`).
"""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry.permission import PermissionExtension

from authz.fields import HasScope
from authz.roles import Scope
from graph.reports.personal import PERSONAL_KEYS
from resolvers.enums import (
    AddressType,
    AssociatedAccountType,
    CaptureEventName,
    DetailsType,
    EmailType,
    PhoneType,
)


@strawberry.type
class Email:
    address: str
    type: EmailType | None = None
    verified: bool | None = None
    verification_date: datetime | None = None


@strawberry.type
class Phone:
    number: str
    type: PhoneType | None = None
    verified: bool | None = None
    verification_date: datetime | None = None
    country_calling_code: str | None = None
    extension: str | None = None


@strawberry.type
class Address:
    address: str | None = None
    city: str | None = None
    zip_code: str | None = None
    state: str | None = None
    non_usa_state: str | None = None
    country: str | None = None
    type: AddressType | None = None


@strawberry.type
class IpCaptureEvent:
    ip_address: str
    event_name: CaptureEventName | None = None
    date_time: datetime | None = None
    possible_proxy: bool | None = None
    port: int | None = None


@strawberry.type
class DeviceId:
    id_type: str
    id_value: str
    event_name: CaptureEventName | None = None
    date_time: datetime | None = None


@strawberry.type
class EstimatedLocation:
    country_code: str
    city: str | None = None
    region: str | None = None
    verified: bool | None = None
    timestamp: datetime | None = None


@strawberry.type
class AccountDisabled:
    disabled: bool = True
    disabled_date: datetime | None = None
    user_notified: bool | None = None
    user_notified_date: datetime | None = None
    reenabled_date: datetime | None = None


@strawberry.type
class ContactPerson:
    first_name: str | None = None
    last_name: str | None = None
    phones: list[Phone] | None = None
    emails: list[Email] | None = None
    addresses: list[Address] | None = None


@strawberry.type
class Person(ContactPerson):
    age: int | None = None
    date_of_birth: date | None = None


@strawberry.type
class AssociatedAccount:
    account_type: AssociatedAccountType | None = None
    platform: str | None = None
    third_party_user: bool | None = None
    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    approximate_age: int | None = None
    date_of_birth: date | None = None
    phones: list[Phone] | None = None
    emails: list[Email] | None = None
    all_emails_reported: bool | None = None
    addresses: list[Address] | None = None
    esp_service: str | None = None
    esp_identifier: str | None = None
    profile_urls: list[str] | None = None
    screen_name: str | None = None
    display_names: list[str] | None = None
    profile_bio: str | None = None
    group_identifier: str | None = None
    compromised_account: bool | None = None
    account_temporarily_disabled: AccountDisabled | None = None
    account_permanently_disabled: AccountDisabled | None = None
    ip_capture_events: list[IpCaptureEvent] | None = None
    device_ids: list[DeviceId] | None = None
    prior_ct_reports: list[int] | None = None
    additional_info: str | None = None


@strawberry.type
class Party(Person):
    esp_identifier: str | None = None
    esp_service: str | None = None
    compromised_account: bool | None = None
    screen_name: str | None = None
    display_names: list[str] | None = None
    profile_urls: list[str] | None = None
    profile_bio: str | None = None
    ip_capture_events: list[IpCaptureEvent] | None = None
    device_ids: list[DeviceId] | None = None
    prior_ct_reports: list[int] | None = None
    group_identifier: str | None = None
    account_temporarily_disabled: AccountDisabled | None = None
    account_permanently_disabled: AccountDisabled | None = None
    estimated_location: EstimatedLocation | None = None
    all_emails_reported: bool | None = None
    additional_info: str | None = None


@strawberry.type(description="A reported person or user (the suspect).")
class ReportedPerson(Party):
    vehicle_description: str | None = None
    third_party_user_reported: bool | None = None
    associated_accounts: list[AssociatedAccount] | None = None


@strawberry.type(description="An intended recipient involved in the incident.")
class IntendedRecipient(Party):
    pass


@strawberry.type(description="A child victim involved in the incident.")
class Victim(Party):
    school_name: str | None = None
    associated_accounts: list[AssociatedAccount] | None = None


@strawberry.type
class WebPageIncident:
    urls: list[str] | None = None
    additional_info: str | None = None
    third_party_hosted_content: bool | None = None


@strawberry.type
class EmailIncident:
    email_addresses: list[Email] | None = None
    content: str | None = None
    additional_info: str | None = None


@strawberry.type
class NewsgroupIncident:
    name: str | None = None
    email_addresses: list[Email] | None = None
    content: str | None = None
    additional_info: str | None = None


@strawberry.type
class ChatImIncident:
    chat_client: str | None = None
    chat_room_name: str | None = None
    content: str | None = None
    additional_info: str | None = None


@strawberry.type
class OnlineGamingIncident:
    game_name: str | None = None
    console: str | None = None
    content: str | None = None
    additional_info: str | None = None


@strawberry.type
class CellPhoneIncident:
    phone_number: Phone | None = None
    latitude: float | None = None
    longitude: float | None = None
    additional_info: str | None = None


@strawberry.type
class NonInternetIncident:
    location_name: str | None = None
    incident_addresses: list[Address] | None = None
    additional_info: str | None = None


@strawberry.type
class Peer2PeerIncident:
    client: str | None = None
    ip_capture_events: list[IpCaptureEvent] | None = None
    file_names: str | None = None
    additional_info: str | None = None


@strawberry.type(description="One kind of incident detail; exactly one field is set.")
class InternetDetails:
    web_page: WebPageIncident | None = None
    email: EmailIncident | None = None
    newsgroup: NewsgroupIncident | None = None
    chat_im: ChatImIncident | None = None
    online_gaming: OnlineGamingIncident | None = None
    cell_phone: CellPhoneIncident | None = None
    non_internet: NonInternetIncident | None = None
    peer2peer: Peer2PeerIncident | None = None


@strawberry.type
class LawEnforcement:
    agency_name: str
    case_number: str | None = None
    officer_contact: ContactPerson | None = None
    reported_to_le: bool | None = None
    served_legal_process_domestic: bool | None = None
    served_legal_process_international: bool | None = None
    flea_country: str | None = None


@strawberry.type(description="The ESP's reporting person, contact person and legal text.")
class ReporterContact:
    reporting_person: Person | None = None
    contact_person: ContactPerson | None = None
    company_template: str | None = None
    terms_of_service: str | None = None
    legal_url: str | None = None


@strawberry.type
class NameValuePair:
    name: str
    value: str


@strawberry.type
class FileDetailsGroup:
    name_value_pairs: list[NameValuePair]
    type: DetailsType | None = None


def _guard_personal_data() -> None:
    """Every field graph.reports.personal declares personal needs pii:read (null and FORBIDDEN
    without it), in every type of this module: a new part type is covered as it is added."""
    for cls in list(globals().values()):
        definition = getattr(cls, "__strawberry_definition__", None)
        for field in getattr(definition, "fields", ()):
            if field.python_name in PERSONAL_KEYS and not field.extensions:
                field.extensions.append(PermissionExtension(
                    permissions=[HasScope(Scope.PII_READ)]))
                field.description = "Personal data: requires pii:read."


_guard_personal_data()
