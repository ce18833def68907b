"""The CyberTipline vocabularies (../shared/reference/cybertipline/), one enum each.

A member's *name* is what the graph stores and GraphQL shows (``CHILD_PORNOGRAPHY``); its
*value* is the exact XSD string (``"Child Pornography (possession, manufacture, and
distribution)"``), which the XML protocol reads and writes.

Example::

    >>> IncidentType("Child Sex Tourism").name
    'CHILD_SEX_TOURISM'
"""

from __future__ import annotations

import functools
from enum import Enum
from pathlib import Path
from typing import Final
from xml.etree import ElementTree

XSD_PATH: Final = Path(__file__).resolve().parent / "data" / "cybertipline.xsd"
XS: Final = "{http://www.w3.org/2001/XMLSchema}"


class IncidentType(Enum):
    CHILD_PORNOGRAPHY = "Child Pornography (possession, manufacture, and distribution)"
    CHILD_SEX_TRAFFICKING = "Child Sex Trafficking"
    CHILD_SEX_TOURISM = "Child Sex Tourism"
    CHILD_SEXUAL_MOLESTATION = "Child Sexual Molestation"
    MISLEADING_DOMAIN_NAME = "Misleading Domain Name"
    MISLEADING_WORDS_OR_DIGITAL_IMAGES = "Misleading Words or Digital Images on the Internet"
    ONLINE_ENTICEMENT = "Online Enticement of Children for Sexual Acts"
    UNSOLICITED_OBSCENE_MATERIAL_TO_CHILD = "Unsolicited Obscene Material Sent to a Child"


class ReportAnnotation(Enum):
    SEXTORTION = "sextortion"
    CSAM_SOLICITATION = "csamSolicitation"
    MINOR_TO_MINOR_INTERACTION = "minorToMinorInteraction"
    SPAM = "spam"
    SADISTIC_ONLINE_EXPLOITATION = "sadisticOnlineExploitation"


class FileAnnotation(Enum):
    ANIME_DRAWING_VIRTUAL_HENTAI = "animeDrawingVirtualHentai"
    POTENTIAL_MEME = "potentialMeme"
    VIRAL = "viral"
    POSSIBLE_SELF_PRODUCTION = "possibleSelfProduction"
    PHYSICAL_HARM = "physicalHarm"
    VIOLENCE_GORE = "violenceGore"
    BESTIALITY = "bestiality"
    LIVE_STREAMING = "liveStreaming"
    INFANT = "infant"
    GENERATIVE_AI = "generativeAi"


class IndustryClassification(Enum):
    A1 = "A1"
    A2 = "A2"
    B1 = "B1"
    B2 = "B2"


class FileRelevance(Enum):
    REPORTED = "Reported"
    SUPPLEMENTAL_REPORTED = "Supplemental Reported"


class CaptureEventName(Enum):
    LOGIN = "Login"
    REGISTRATION = "Registration"
    PURCHASE = "Purchase"
    UPLOAD = "Upload"
    OTHER = "Other"
    UNKNOWN = "Unknown"


class AddressType(Enum):
    HOME = "Home"
    BUSINESS = "Business"
    BILLING = "Billing"
    SHIPPING = "Shipping"
    TECHNICAL = "Technical"


class EmailType(Enum):
    HOME = "Home"
    WORK = "Work"
    BUSINESS = "Business"
    RECOVERY = "Recovery"


class PhoneType(Enum):
    MOBILE = "Mobile"
    HOME = "Home"
    BUSINESS = "Business"
    WORK = "Work"
    FAX = "Fax"
    INTERNET = "Internet"
    RECOVERY = "Recovery"


class AssociatedAccountType(Enum):
    BILLING = "Billing"
    LINKED = "Linked"
    BUSINESS = "Business"
    CREATOR = "Creator"
    PARENT_GUARDIAN = "Parent/Guardian"
    OTHER = "Other"


class BatchReason(Enum):
    VIRAL_POTENTIAL_MEME = "VIRAL_POTENTIAL_MEME"


class DetailsType(Enum):
    EXIF = "EXIF"
    HASH = "HASH"


class ReportStatus(Enum):
    OPEN = "OPEN"
    SUBMITTED = "SUBMITTED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"


class Priority(Enum):
    """Analyst priority: P1 imminent danger to a child, then P2, P3; UNSET when not triaged."""

    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    UNSET = "UNSET"


class Disposition(Enum):
    PENDING = "PENDING"
    REFERRAL = "REFERRAL"
    INFORMATIONAL = "INFORMATIONAL"


class MentionRole(Enum):
    """Why a report mentions an identifier: whose it is, or where it came from."""

    REPORTED_PERSON = "REPORTED_PERSON"
    INTENDED_RECIPIENT = "INTENDED_RECIPIENT"
    VICTIM = "VICTIM"
    ASSOCIATED_ACCOUNT = "ASSOCIATED_ACCOUNT"
    INCIDENT = "INCIDENT"
    FILE = "FILE"


def _enumeration(type_name: str) -> dict[str, str]:
    """Code -> documented name for one ``xs:simpleType`` of the XSD, blank codes dropped."""
    # The XSD is a trusted file shipped with tipgraph, not client input.
    root = ElementTree.parse(XSD_PATH).getroot()  # noqa: S314
    for simple in root.iter(f"{XS}simpleType"):
        if simple.get("name") == type_name:
            codes: dict[str, str] = {}
            for item in simple.iter(f"{XS}enumeration"):
                code = item.get("value", "")
                doc = item.find(f"{XS}annotation/{XS}documentation")
                if code:
                    codes[code] = (doc.text or code).strip() if doc is not None else code
            return codes
    raise LookupError(f"the XSD has no simpleType {type_name!r}")


@functools.cache
def countries() -> dict[str, str]:
    """ISO 3166-1 alpha-2 codes the CyberTipline accepts, with their names."""
    return _enumeration("country")


@functools.cache
def us_states() -> dict[str, str]:
    """US state and territory postal abbreviations, with their names."""
    return _enumeration("state")
