"""Identifier identity: one graph node per normalised value.

Rules (ARCHITECTURE.md): e-mail lower-cased with an IDNA domain; phone in E.164; IP canonical
with IPv4-mapped IPv6 folded to IPv4; URL with scheme and host lower-cased; screen names and ESP
accounts scoped to their service; hashes lower-case hex tagged with their algorithm and checked
for length. Every function raises :class:`graph.core.errors.BadInput` on a value it cannot
normalise.

Example::

    >>> normalise_email("Alice@Example.COM").key
    'EMAIL:alice@example.com'
    >>> normalise_phone("+1 415 555 0100").value
    '+14155550100'
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final
from urllib.parse import urlsplit, urlunsplit

import idna
import phonenumbers

from graph.core.errors import BadInput


class IdentifierKind(StrEnum):
    SCREEN_NAME = "SCREEN_NAME"
    ESP_ACCOUNT = "ESP_ACCOUNT"
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    IP_ADDRESS = "IP_ADDRESS"
    URL = "URL"
    DEVICE_ID = "DEVICE_ID"
    FILE_HASH = "FILE_HASH"


@dataclass(frozen=True, slots=True)
class KindFacts:
    """What tipgraph knows about a kind of identifier, declared once (on the kind)."""

    weight: float  # how strongly sharing one says two reports are linked (cross-references)
    personal: bool  # its values are personal data: shown, and looked up, only with pii:read
    singular: str  # in plain-language explanations
    plural: str


FACTS: Final[Mapping[IdentifierKind, KindFacts]] = {
    IdentifierKind.ESP_ACCOUNT: KindFacts(1.0, False, "ESP account", "ESP accounts"),
    IdentifierKind.EMAIL: KindFacts(1.0, True, "e-mail address", "e-mail addresses"),
    IdentifierKind.FILE_HASH: KindFacts(1.0, False, "file hash (the same file)",
                                        "file hashes (the same files)"),
    IdentifierKind.PHONE: KindFacts(0.9, True, "phone number", "phone numbers"),
    IdentifierKind.DEVICE_ID: KindFacts(0.8, False, "device id", "device ids"),
    IdentifierKind.SCREEN_NAME: KindFacts(0.7, False, "screen name", "screen names"),
    IdentifierKind.URL: KindFacts(0.4, False, "URL", "URLs"),
    IdentifierKind.IP_ADDRESS: KindFacts(0.3, False, "IP address", "IP addresses"),
}
PERSONAL_KINDS: Final = frozenset(kind for kind, facts in FACTS.items() if facts.personal)

# Hex digest lengths of the hash algorithms tipgraph checks. The reference allows any hashType
# (C.2: a name of up to 64 characters), so others (PhotoDNA, a vendor's own) are kept as given and
# link files by exact value, but only from MIN_OTHER_HASH_LENGTH characters: a shorter value is
# too likely to be shared by chance to link two reports.
HASH_HEX_LENGTHS: Final[dict[str, int]] = {
    "MD5": 32,
    "SHA1": 40,
    "SHA224": 56,
    "SHA256": 64,
    "SHA384": 96,
    "SHA512": 128,
    "PDQ": 64,
}
HASH_ALIASES: Final[dict[str, str]] = {"SHA-1": "SHA1", "SHA-224": "SHA224", "SHA-256": "SHA256",
                                       "SHA-384": "SHA384", "SHA-512": "SHA512"}
HASH_NAME: Final = re.compile(r"^[A-Z0-9][A-Z0-9._+-]*\Z")
MIN_OTHER_HASH_LENGTH: Final = 8  # a CRC32
MAX_OTHER_HASH_LENGTH: Final = 1024  # PhotoDNA's 144 bytes are 288 hex digits
HEX: Final = re.compile(r"^[0-9a-f]+\Z")
EMAIL_LOCAL: Final = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+\Z")
URL_SCHEMES: Final = frozenset({"http", "https", "ftp", "ftps"})
DEFAULT_PORTS: Final = {"http": 80, "https": 443, "ftp": 21, "ftps": 990}


@dataclass(frozen=True, slots=True)
class NormalisedIdentifier:
    """A value's identity: ``key`` is unique in the graph (its public id is a keyed HMAC of the
    key: graph.identifiers.keyed_ids)."""

    kind: IdentifierKind
    value: str
    scope: str | None = None  # the service of a screen name or ESP account, a hash's algorithm

    @property
    def key(self) -> str:
        if self.scope:
            return f"{self.kind}:{self.scope}:{self.value}"
        return f"{self.kind}:{self.value}"



def _require_text(value: str, what: str, field: str | None, max_length: int) -> str:
    text = value.strip()
    if not text:
        raise BadInput(f"{what} must not be blank", field=field)
    if len(text) > max_length:
        raise BadInput(f"{what} is longer than {max_length} characters", field=field)
    return text


def normalise_email(address: str, field: str | None = None) -> NormalisedIdentifier:
    text = _require_text(address, "an e-mail address", field, 255)
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain or len(local) > 64 or not EMAIL_LOCAL.match(local):
        raise BadInput(f"{text!r} is not a well-formed e-mail address", field=field)
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise BadInput(f"{text!r} is not a well-formed e-mail address", field=field)
    try:
        ascii_domain = idna.encode(domain.rstrip(".").lower(), uts46=True).decode("ascii")
    except idna.IDNAError:
        raise BadInput(f"{text!r} has an invalid domain", field=field) from None
    if "." not in ascii_domain:
        raise BadInput(f"{text!r} has no top-level domain", field=field)
    return NormalisedIdentifier(IdentifierKind.EMAIL, f"{local.lower()}@{ascii_domain}")


def normalise_phone(
    number: str,
    country_calling_code: str | None = None,
    default_region: str = "US",
    field: str | None = None,
) -> NormalisedIdentifier:
    text = _require_text(number, "a phone number", field, 50)
    if country_calling_code:
        if not re.fullmatch(r"\+[0-9]{1,3}", country_calling_code):
            raise BadInput("countryCallingCode must look like +1 or +44", field=field)
        text = country_calling_code + " " + text
    try:
        parsed = phonenumbers.parse(text, None if text.startswith("+") else default_region)
    except phonenumbers.NumberParseException:
        raise BadInput(f"{number!r} is not a phone number", field=field) from None
    if not phonenumbers.is_possible_number(parsed):
        raise BadInput(f"{number!r} is not a possible phone number", field=field)
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return NormalisedIdentifier(IdentifierKind.PHONE, e164)


def normalise_ip(address: str, field: str | None = None) -> NormalisedIdentifier:
    text = _require_text(address, "an IP address", field, 64)
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        raise BadInput(f"{text!r} is not an IPv4 or IPv6 address", field=field) from None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return NormalisedIdentifier(IdentifierKind.IP_ADDRESS, ip.compressed)


def normalise_url(url: str, field: str | None = None) -> NormalisedIdentifier:
    text = _require_text(url, "a URL", field, 2083)
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise BadInput(f"{text!r} is not a valid URL", field=field) from None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if scheme not in URL_SCHEMES or not host:
        raise BadInput(f"{text!r} is not a valid URL (scheme and host are required)", field=field)
    try:
        host = idna.encode(host.lower(), uts46=True).decode("ascii")
    except idna.IDNAError:
        # IP literals and hosts idna refuses (underscores) are kept lower-cased as they are.
        host = host.lower()
    if ":" in host:
        host = f"[{host}]"
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = (userinfo + "@" if userinfo else "") + host
    if port is not None and port != DEFAULT_PORTS.get(scheme):
        netloc += f":{port}"
    normalised = urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))
    return NormalisedIdentifier(IdentifierKind.URL, normalised)


def _service(service: str | None) -> str:
    return (service or "").strip().casefold() or "unknown"


def normalise_screen_name(
    name: str, service: str | None, field: str | None = None
) -> NormalisedIdentifier:
    text = _require_text(name, "a screen name", field, 256)
    return NormalisedIdentifier(IdentifierKind.SCREEN_NAME, text.casefold(), _service(service))


def normalise_esp_account(
    account_id: str, service: str | None, field: str | None = None
) -> NormalisedIdentifier:
    text = _require_text(account_id, "an ESP identifier", field, 256)
    return NormalisedIdentifier(IdentifierKind.ESP_ACCOUNT, text, _service(service))


def normalise_device_id(
    id_type: str, id_value: str, field: str | None = None
) -> NormalisedIdentifier:
    kind = _require_text(id_type, "a device id type", field, 255).upper()
    value = _require_text(id_value, "a device id", field, 2083)
    return NormalisedIdentifier(IdentifierKind.DEVICE_ID, value, kind)


def normalise_hash_algorithm(algorithm: str, field: str | None = None) -> str:
    """The algorithm's canonical name: the cryptographic ones by :data:`HASH_ALIASES`, any
    other (``PhotoDNA``, ``PDQ``, a vendor's own) upper-cased as given (C.2 allows any name)."""
    name = _require_text(algorithm, "a hash algorithm", field, 64).upper()
    name = HASH_ALIASES.get(name, name)
    if not HASH_NAME.match(name):
        raise BadInput(f"hash algorithm {algorithm!r} must be letters, digits and . _ + -",
                       field=field)
    return name


def normalise_hash(algorithm: str, value: str, field: str | None = None) -> NormalisedIdentifier:
    """A file hash: hexadecimal of the algorithm's length for MD5 and the SHA family; for any
    other algorithm the value as given (trimmed), matched exactly."""
    name = normalise_hash_algorithm(algorithm, field)
    if name not in HASH_HEX_LENGTHS:
        text = _require_text(value, f"a {name} hash", field, MAX_OTHER_HASH_LENGTH)
        if len(text) < MIN_OTHER_HASH_LENGTH:
            raise BadInput(f"a {name} hash has at least {MIN_OTHER_HASH_LENGTH} characters",
                           field=field)
        return NormalisedIdentifier(IdentifierKind.FILE_HASH, text, name)
    digest = value.strip().lower()
    if not HEX.match(digest):
        raise BadInput(f"a {name} hash must be hexadecimal", field=field)
    if len(digest) != HASH_HEX_LENGTHS[name]:
        raise BadInput(
            f"a {name} hash has {HASH_HEX_LENGTHS[name]} hex digits, not {len(digest)}",
            field=field,
        )
    return NormalisedIdentifier(IdentifierKind.FILE_HASH, digest, name)


def normalise(kind: IdentifierKind, value: str, scope: str | None = None,
              default_region: str = "US") -> NormalisedIdentifier:
    """Normalise any kind of identifier; ``scope`` is the service, algorithm or device type."""
    field = "value"
    match kind:
        case IdentifierKind.EMAIL:
            return normalise_email(value, field)
        case IdentifierKind.PHONE:
            return normalise_phone(value, None, default_region, field)
        case IdentifierKind.IP_ADDRESS:
            return normalise_ip(value, field)
        case IdentifierKind.URL:
            return normalise_url(value, field)
        case IdentifierKind.SCREEN_NAME:
            return normalise_screen_name(value, scope, field)
        case IdentifierKind.ESP_ACCOUNT:
            return normalise_esp_account(value, scope, field)
        case IdentifierKind.DEVICE_ID:
            return normalise_device_id(scope or "", value, field)
        case IdentifierKind.FILE_HASH:
            return normalise_hash(scope or "", value, field)
