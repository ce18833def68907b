"""IP geolocation behind one small interface.

With TIPGRAPH_GEOIP_DB set, a MaxMind-format database is read with ``maxminddb``; without it,
the synthetic CIDR table shipped in ``graph/triage/data/geo-demo.csv`` answers (demo and
tests). Carrier-grade NAT (100.64.0.0/10) and other shared ranges are never located: they say
nothing about where a person is.
"""

from __future__ import annotations

import csv
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol

DEMO_TABLE: Final = Path(__file__).resolve().parent / "data" / "geo-demo.csv"
NEVER_LOCATED: Final = (ipaddress.ip_network("100.64.0.0/10"),)


@dataclass(frozen=True, slots=True)
class Location:
    code: str  # a jurisdiction code: US, US-CA, GB ...
    source: str
    confidence: float


class GeoProvider(Protocol):
    def locate(self, ip: str) -> Location | None: ...


def _shared(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return any(address in net for net in NEVER_LOCATED if net.version == address.version)


class CidrTable:
    def __init__(self, path: Path = DEMO_TABLE) -> None:
        self.networks: list[tuple[Any, str, float]] = []
        with path.open() as handle:
            rows = csv.reader(line for line in handle if not line.startswith("#"))
            for network, code, confidence in rows:
                self.networks.append((ipaddress.ip_network(network), code, float(confidence)))

    def locate(self, ip: str) -> Location | None:
        address = ipaddress.ip_address(ip)
        if _shared(address):
            return None
        for network, code, confidence in self.networks:
            if network.version == address.version and address in network:
                return Location(code=code, source="demo-cidr", confidence=confidence)
        return None


class MaxMindDatabase:
    """A GeoIP2/GeoLite2 City or Country database (``maxminddb``)."""

    def __init__(self, path: Path) -> None:
        import maxminddb

        self.reader = maxminddb.open_database(str(path))
        self.source = f"maxmind:{path.name}"

    def locate(self, ip: str) -> Location | None:
        address = ipaddress.ip_address(ip)
        if _shared(address):
            return None
        record: Any = self.reader.get(ip)  # a nested dict for City and Country databases
        if not isinstance(record, dict):
            return None
        country = (record.get("country") or {}).get("iso_code")
        if not country:
            return None
        subdivisions = record.get("subdivisions") or []
        region = subdivisions[0].get("iso_code") if subdivisions else None
        accuracy = (record.get("location") or {}).get("accuracy_radius")
        confidence = 0.5 if accuracy is None else max(0.1, min(0.95, 1 - accuracy / 1000))
        code = f"US-{region}" if country == "US" and region else str(country)
        return Location(code=code, source=self.source, confidence=round(confidence, 2))


def geo_provider(database: Path | None) -> GeoProvider:
    return MaxMindDatabase(database) if database else CidrTable()
