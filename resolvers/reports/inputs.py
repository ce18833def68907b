"""Input types of the ESP intake: the whole CyberTipline report model, in GraphQL naming.

Field names follow the XSD (camelCased); lists that the XSD repeats are plural here
(``emails``, ``ipCaptureEvents``). ``strawberry.asdict`` turns an input into the report document
that :mod:`graph.reports.intake` validates, the same document the XML door builds.
"""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from resolvers.enums import (
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


@strawberry.input(description="An e-mail address. Linked as an EMAIL identifier (lower-cased).")
class EmailInput:
    address: str
    type: EmailType | None = None
    verified: bool | None = None
    verification_date: datetime | None = None


@strawberry.input(description="A phone number. Linked as a PHONE identifier in E.164.")
class PhoneInput:
    number: str
    type: PhoneType | None = None
    verified: bool | None = None
    verification_date: datetime | None = None
    country_calling_code: str | None = strawberry.field(
        default=None, description="Like +1; then `number` must not start with it.")
    extension: str | None = None


@strawberry.input(description="A physical street address.")
class AddressInput:
    address: str | None = None
    city: str | None = None
    zip_code: str | None = None
    state: str | None = strawberry.field(default=None, description="US postal abbreviation.")
    non_usa_state: str | None = None
    country: str | None = strawberry.field(default=None, description="ISO 3166-1 alpha-2.")
    type: AddressType | None = None


@strawberry.input(description="A capture of an IP address, linked as an IP_ADDRESS identifier.")
class IpCaptureEventInput:
    ip_address: str
    event_name: CaptureEventName | None = None
    date_time: datetime | None = None
    possible_proxy: bool | None = None
    port: int | None = None


@strawberry.input(description="A capture of a device id (IMEI, ICCID, ...), linked as DEVICE_ID.")
class DeviceIdInput:
    id_type: str
    id_value: str
    event_name: CaptureEventName | None = None
    date_time: datetime | None = None


@strawberry.input(description="The reporter's estimated location of a person.")
class EstimatedLocationInput:
    country_code: str
    city: str | None = None
    region: str | None = None
    verified: bool | None = None
    timestamp: datetime | None = None


@strawberry.input(description="Whether and when an account was disabled.")
class AccountDisabledInput:
    disabled: bool = True
    disabled_date: datetime | None = None
    user_notified: bool | None = None
    user_notified_date: datetime | None = None
    reenabled_date: datetime | None = None


@strawberry.input(description="A person to contact professionally.")
class ContactPersonInput:
    first_name: str | None = None
    last_name: str | None = None
    phones: list[PhoneInput] | None = None
    emails: list[EmailInput] | None = None
    addresses: list[AddressInput] | None = None


@strawberry.input(description="A real-world person.")
class PersonInput(ContactPersonInput):
    age: int | None = None
    date_of_birth: date | None = None


@strawberry.input(description="An account the person is associated with.")
class AssociatedAccountInput:
    account_type: AssociatedAccountType | None = None
    platform: str | None = None
    third_party_user: bool | None = None
    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    approximate_age: int | None = None
    date_of_birth: date | None = None
    phones: list[PhoneInput] | None = None
    emails: list[EmailInput] | None = None
    all_emails_reported: bool | None = None
    addresses: list[AddressInput] | None = None
    esp_service: str | None = None
    esp_identifier: str | None = None
    profile_urls: list[str] | None = None
    screen_name: str | None = None
    display_names: list[str] | None = None
    profile_bio: str | None = None
    group_identifier: str | None = None
    compromised_account: bool | None = None
    account_temporarily_disabled: AccountDisabledInput | None = None
    account_permanently_disabled: AccountDisabledInput | None = None
    ip_capture_events: list[IpCaptureEventInput] | None = None
    device_ids: list[DeviceIdInput] | None = None
    prior_ct_reports: list[int] | None = None
    additional_info: str | None = None


@strawberry.input(description="Person data and account facts shared by every party to a report.")
class PartyInput(PersonInput):
    esp_identifier: str | None = strawberry.field(
        default=None, description="The account id in the ESP's system (an ESP_ACCOUNT).")
    esp_service: str | None = strawberry.field(
        default=None, description="The ESP product or service; scopes screen names and ids.")
    compromised_account: bool | None = None
    screen_name: str | None = None
    display_names: list[str] | None = None
    profile_urls: list[str] | None = None
    profile_bio: str | None = None
    ip_capture_events: list[IpCaptureEventInput] | None = None
    device_ids: list[DeviceIdInput] | None = None
    prior_ct_reports: list[int] | None = None
    group_identifier: str | None = None
    account_temporarily_disabled: AccountDisabledInput | None = None
    account_permanently_disabled: AccountDisabledInput | None = None
    estimated_location: EstimatedLocationInput | None = None
    all_emails_reported: bool | None = None
    additional_info: str | None = None


@strawberry.input(description="A reported person or user (the suspect).")
class ReportedPersonInput(PartyInput):
    vehicle_description: str | None = None
    third_party_user_reported: bool | None = None
    associated_accounts: list[AssociatedAccountInput] | None = None


@strawberry.input(description="An intended recipient involved in the incident.")
class IntendedRecipientInput(PartyInput):
    pass


@strawberry.input(description="A child victim involved in the incident.")
class VictimInput(PartyInput):
    school_name: str | None = None
    associated_accounts: list[AssociatedAccountInput] | None = None


@strawberry.input
class WebPageIncidentInput:
    urls: list[str] | None = None
    additional_info: str | None = None
    third_party_hosted_content: bool | None = None


@strawberry.input
class EmailIncidentInput:
    email_addresses: list[EmailInput] | None = strawberry.field(
        default=None, description="Each must also be an e-mail of a party to the report.")
    content: str | None = None
    additional_info: str | None = None


@strawberry.input
class NewsgroupIncidentInput:
    name: str | None = None
    email_addresses: list[EmailInput] | None = None
    content: str | None = None
    additional_info: str | None = None


@strawberry.input
class ChatImIncidentInput:
    chat_client: str | None = None
    chat_room_name: str | None = None
    content: str | None = None
    additional_info: str | None = None


@strawberry.input
class OnlineGamingIncidentInput:
    game_name: str | None = None
    console: str | None = None
    content: str | None = None
    additional_info: str | None = None


@strawberry.input
class CellPhoneIncidentInput:
    phone_number: PhoneInput | None = None
    latitude: float | None = None
    longitude: float | None = None
    additional_info: str | None = None


@strawberry.input
class NonInternetIncidentInput:
    location_name: str | None = None
    incident_addresses: list[AddressInput] | None = None
    additional_info: str | None = None


@strawberry.input
class Peer2PeerIncidentInput:
    client: str | None = None
    ip_capture_events: list[IpCaptureEventInput] | None = None
    file_names: str | None = None
    additional_info: str | None = None


@strawberry.input(one_of=True, description="Exactly one kind of incident detail.")
class InternetDetailsInput:
    web_page: WebPageIncidentInput | None = strawberry.UNSET
    email: EmailIncidentInput | None = strawberry.UNSET
    newsgroup: NewsgroupIncidentInput | None = strawberry.UNSET
    chat_im: ChatImIncidentInput | None = strawberry.UNSET
    online_gaming: OnlineGamingIncidentInput | None = strawberry.UNSET
    cell_phone: CellPhoneIncidentInput | None = strawberry.UNSET
    non_internet: NonInternetIncidentInput | None = strawberry.UNSET
    peer2peer: Peer2PeerIncidentInput | None = strawberry.UNSET


@strawberry.input(description="Law enforcement already involved in the incident.")
class LawEnforcementInput:
    agency_name: str
    case_number: str | None = None
    officer_contact: ContactPersonInput | None = None
    reported_to_le: bool | None = None
    served_legal_process_domestic: bool | None = None
    served_legal_process_international: bool | None = None
    flea_country: str | None = None


@strawberry.input(description="Who at the ESP reports, and whom law enforcement should contact.")
class ReporterInput:
    reporting_person: PersonInput | None = None
    contact_person: ContactPersonInput | None = None
    company_template: str | None = None
    terms_of_service: str | None = None
    legal_url: str | None = None


@strawberry.input
class BatchedReportInput:
    reason: BatchReason


@strawberry.input(description="A hash of the file, tagged with its algorithm (MD5, SHA1, ...).")
class HashInput:
    algorithm: str
    value: str


@strawberry.input
class NameValuePairInput:
    name: str
    value: str


@strawberry.input(description="A group of file metadata entries (EXIF or HASH).")
class FileDetailsGroupInput:
    name_value_pairs: list[NameValuePairInput]
    type: DetailsType | None = None


@strawberry.input(description="A file and everything the CyberTipline's fileDetails carry.")
class FileInput:
    file_name: str | None = None
    original_file_name: str | None = None
    location_of_file: str | None = None
    uploaded_to_esp_timestamp: datetime | None = None
    viewed_by_esp: bool | None = strawberry.field(
        default=None, description="Did anyone at the ESP view the whole file?")
    exif_viewed_by_esp: bool | None = None
    publicly_available: bool | None = None
    relevance: FileRelevance | None = None
    annotations: list[FileAnnotation] | None = None
    industry_classification: IndustryClassification | None = None
    hashes: list[HashInput] | None = None
    ip_capture_event: IpCaptureEventInput | None = None
    device_ids: list[DeviceIdInput] | None = None
    details: list[FileDetailsGroupInput] | None = None
    additional_info: list[str] | None = None


@strawberry.input(description="Everything about an incident but its files.")
class OpenReportInput:
    incident_type: IncidentType
    incident_date_time: datetime = strawberry.field(
        description="When the incident happened; must carry a UTC offset and be in the past.")
    incident_date_time_description: str | None = None
    platform: str | None = None
    escalate_to_high_priority: str | None = strawberry.field(
        default=None, description="A reason for urgency (immediate risk to a child).")
    annotations: list[ReportAnnotation] | None = None
    internet_details: list[InternetDetailsInput] | None = None
    law_enforcement: LawEnforcementInput | None = None
    reporter: ReporterInput | None = None
    reported_people: list[ReportedPersonInput] | None = None
    intended_recipients: list[IntendedRecipientInput] | None = None
    victims: list[VictimInput] | None = None
    additional_info: str | None = None
    batched_report: BatchedReportInput | None = None


@strawberry.input(description="A whole report, opened, filled and finished in one transaction.")
class SubmitReportInput(OpenReportInput):
    files: list[FileInput] | None = None
