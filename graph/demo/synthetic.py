"""Synthetic report documents shaped like real tips. No real personal data, ever.

Values come from reserved ranges: e-mail domains under example.com/.net/.org, IP addresses in
the documentation ranges (RFC 5737) plus one carrier-grade NAT address (RFC 6598), phone
numbers in the fictional 555-01xx block, hashes of random bytes. Identifiers are reused with a
power law (a few are shared by many reports), repeat offenders appear across ESPs, and one
"viral" hash and one CGNAT address act as supernodes.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from graph.core.vocabulary import (
    CaptureEventName,
    FileAnnotation,
    IncidentType,
    IndustryClassification,
    ReportAnnotation,
)

DOMAINS: Final = ("example.com", "example.net", "example.org")
DOC_NETS: Final = ("192.0.2", "198.51.100", "203.0.113")
CGNAT_IP: Final = "100.64.0.1"
SERVICES: Final = ("ExampleChat", "ExamplePhotos", "ExampleGames", "ExampleVideo")
ESPS: Final = (("example-chat", "Example Chat, Inc."), ("example-photos", "Example Photos Ltd."),
               ("example-games", "Example Games LLC"), ("example-video", "Example Video GmbH"))
INCIDENT_WEIGHTS: Final = (
    (IncidentType.CHILD_PORNOGRAPHY, 80), (IncidentType.ONLINE_ENTICEMENT, 10),
    (IncidentType.UNSOLICITED_OBSCENE_MATERIAL_TO_CHILD, 4),
    (IncidentType.CHILD_SEX_TRAFFICKING, 2), (IncidentType.MISLEADING_DOMAIN_NAME, 1),
    (IncidentType.MISLEADING_WORDS_OR_DIGITAL_IMAGES, 1), (IncidentType.CHILD_SEX_TOURISM, 1),
    (IncidentType.CHILD_SEXUAL_MOLESTATION, 1),
)


@dataclass(frozen=True, slots=True)
class Offender:
    """A synthetic reported account; repeat offenders are reported by several ESPs."""

    screen_name: str
    account_id: str
    email: str
    phone: str
    ips: tuple[str, ...]


class SyntheticTips:
    def __init__(self, seed: int = 7, offenders: int = 400, hashes: int = 2000,
                 now: datetime | None = None) -> None:
        self.random = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
        self.now = now or datetime.now(UTC)
        self.offenders: Sequence[Offender] = [self._offender(i) for i in range(offenders)]
        self.hashes: Sequence[str] = [self._md5(f"file-{seed}-{i}") for i in range(hashes)]
        self.viral_hash = self._md5(f"viral-{seed}")

    def _md5(self, text: str) -> str:
        return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()

    def _offender(self, i: int, r: random.Random | None = None) -> Offender:
        r = r or self.random
        ips = tuple(f"{r.choice(DOC_NETS)}.{r.randint(1, 254)}" for _ in range(r.randint(1, 3)))
        return Offender(
            screen_name=f"user_{i:05d}",
            account_id=f"acct-{i:06d}",
            email=f"user{i:05d}@{DOMAINS[i % len(DOMAINS)]}",
            phone=f"+1 415 555 01{i % 100:02d}",
            ips=ips,
        )

    def _power_law(self, population: int) -> int:
        """An index in [0, population) where low indexes are far more likely (Zipf-like)."""
        return min(int(self.random.paretovariate(1.2)) - 1, population - 1)

    def esp(self, index: int) -> tuple[str, str]:
        return ESPS[self._power_law(len(ESPS)) if index % 7 else index % len(ESPS)]

    def report_document(self, index: int) -> dict[str, Any]:
        """One finished report's document (with files), as the intake service takes it."""
        r = self.random
        offender = self.offenders[self._power_law(len(self.offenders))]
        service = r.choice(SERVICES)
        incident = r.choices([t for t, _ in INCIDENT_WEIGHTS],
                             weights=[w for _, w in INCIDENT_WEIGHTS])[0]
        at = self.now - timedelta(days=r.randint(1, 360), minutes=r.randint(0, 1440))
        ips = [{"ip_address": CGNAT_IP if r.random() < 0.08 else ip,
                "event_name": r.choice(list(CaptureEventName)),
                "date_time": at - timedelta(hours=r.randint(0, 48)),
                "possible_proxy": r.random() < 0.1,
                "port": r.randint(1024, 65535)} for ip in offender.ips]
        annotations = [a for a in ReportAnnotation if r.random() < 0.05]
        person: dict[str, Any] = {
            "screen_name": offender.screen_name,
            "esp_service": service,
            "esp_identifier": offender.account_id,
            "emails": [{"address": offender.email.upper() if r.random() < 0.2 else offender.email}],
            "ip_capture_events": ips,
        }
        if r.random() < 0.5:
            person["phones"] = [{"number": offender.phone}]
        files = []
        viral = r.random() < 0.05
        for f in range(r.randint(1, 3)):
            digest = self.viral_hash if viral and f == 0 else self.hashes[
                self._power_law(len(self.hashes))]
            viewed = r.random() < 0.6
            files.append({
                "file_name": f"file{index:06d}_{f}.jpg",
                "viewed_by_esp": viewed,
                "exif_viewed_by_esp": viewed and r.random() < 0.3,
                "publicly_available": r.random() < 0.2,
                "industry_classification": r.choice(list(IndustryClassification))
                if r.random() < 0.7 else None,
                "annotations": [FileAnnotation.VIRAL] if viral and f == 0 else None,
                "hashes": [{"algorithm": "MD5", "value": digest}],
            })
        document: dict[str, Any] = {
            "incident_type": incident,
            "incident_date_time": at,
            "platform": service,
            "annotations": annotations or None,
            "reported_people": [person],
            "files": files,
        }
        if r.random() < 0.03:
            document["escalate_to_high_priority"] = "Synthetic escalation: imminent risk stated."
        if r.random() < 0.3:
            document["internet_details"] = [{"web_page": {
                "urls": [f"https://{service.lower()}.example.com/p/{r.randint(1, 5000)}"]}}]
        return document
