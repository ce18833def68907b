"""A small world for authorization tests: two ESPs, three agencies, reports in every state.

    A1 open       (esp-a)                 B1 submitted, referred to agency-2 (esp-b)
    A2 submitted, referred to agency-1    B2 submitted, not referred        (esp-b)
    A3 cancelled  (esp-a)

Every report mentions the e-mail shared@example.com. agency-all sees every referred report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graph.core.db import Database
from graph.core.visibility import EVERY_REPORT
from graph.core.vocabulary import IncidentType
from graph.referrals.agencies import AgencyKind, AgencySpec, refer_report, upsert_agency
from graph.reports.reporters import register_reporter
from tests.helpers import intake as make_intake

ANALYST_SCOPE = EVERY_REPORT


def document(name: str) -> dict[str, Any]:
    from datetime import UTC, datetime

    return {
        "incident_type": IncidentType.CHILD_PORNOGRAPHY,
        "incident_date_time": datetime(2026, 10, 1, tzinfo=UTC),
        "reported_people": [{"first_name": f"Person {name}", "screen_name": f"user_{name}",
                             "esp_service": "ExampleChat",
                             "emails": [{"address": "shared@example.com"}]}],
    }


@dataclass(frozen=True)
class World:
    reports: dict[str, int]

    def ids(self, *names: str) -> set[int]:
        return {self.reports[n] for n in names}


# Which reports each principal may see; everything else must look absent.
VISIBLE: dict[str, tuple[str, ...]] = {
    "esp-a": ("A1", "A2", "A3"),
    "esp-b": ("B1", "B2"),
    "analyst": ("A1", "A2", "A3", "B1", "B2"),
    "le-agency-1": ("A2",),
    "le-agency-2": ("B1",),
    "le-agency-all": ("A2", "B1"),
    "auditor": (),
    "admin": (),
}


async def build_world(db: Database) -> World:
    intake = make_intake(db)
    for esp in ("esp-a", "esp-b"):
        await register_reporter(db, esp, esp.upper())
    await upsert_agency(db, AgencySpec("agency-1", "Agency One", AgencyKind.STATE, ("US-CA",)))
    await upsert_agency(db, AgencySpec("agency-2", "Agency Two", AgencyKind.STATE, ("US-NY",)))
    await upsert_agency(db, AgencySpec("agency-all", "Clearinghouse Partner",
                                       AgencyKind.FEDERAL, ("US",), sees_all=True))
    reports = {
        "A1": (await intake.open_report("esp-a", document("A1")))["id"],
        "A2": (await intake.submit_report("esp-a", document("A2")))["id"],
        "A3": (await intake.open_report("esp-a", document("A3")))["id"],
        "B1": (await intake.submit_report("esp-b", document("B1")))["id"],
        "B2": (await intake.submit_report("esp-b", document("B2")))["id"],
    }
    await intake.cancel_report("esp-a", reports["A3"])
    await refer_report(db, reports["A2"], "agency-1", by="analyst-1", reason="in CA",
                       rows=EVERY_REPORT)
    await refer_report(db, reports["B1"], "agency-2", by="analyst-1", reason="in NY",
                       rows=EVERY_REPORT)
    return World(reports=reports)
