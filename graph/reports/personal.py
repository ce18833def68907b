"""Personal data, declared once: the reference XSD's elements that name, reach or locate a person.

Each key is the name the intake stores a part under (snake_case), which is also the Python name
of its GraphQL field; the value names the XSD elements it comes from. Everything else derives
from this table: the GraphQL field rules (``resolvers/reports/parts.py`` guards every field
named here with pii:read), the referral package's redaction
(``graph/referrals/packages/content.py``),
and ``tests/test_personal_data.py``, which checks the elements against the XSD and every field
against a token without pii:read.
"""

from __future__ import annotations

from typing import Final

PERSONAL_DATA: Final[dict[str, tuple[str, ...]]] = {
    "first_name": ("firstName",),
    "middle_name": ("middleName",),
    "last_name": ("lastName",),
    "phones": ("phone",),
    "emails": ("email",),
    "addresses": ("address",),
    "age": ("age",),
    "approximate_age": ("approximateAge",),
    "date_of_birth": ("dateOfBirth",),
    "estimated_location": ("estimatedLocation",),
    "school_name": ("schoolName",),
    "email_addresses": ("emailAddress",),  # e-mail and newsgroup incidents
    "phone_number": ("phoneNumber",),  # cell-phone incidents
    "incident_addresses": ("incidentAddress",),  # where a non-internet incident happened
}
PERSONAL_KEYS: Final = frozenset(PERSONAL_DATA)
