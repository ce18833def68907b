"""Agency, Jurisdiction and Referral types (federation entities keyed by id)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from graph.referrals.agencies import AgencyKind
from resolvers.build import required
from resolvers.context import Context
from resolvers.enums import ReferralOutcome

strawberry.enum(AgencyKind, description="What kind of law-enforcement agency this is.")


@strawberry.federation.type(keys=["id"], description=(
    "A country (ISO 3166-1 alpha-2, e.g. US) or a US state (US-XX, e.g. US-CA)."))
class Jurisdiction:
    code: str
    name: str

    @strawberry.field(description="The same as `code`; the federation key.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.code)

    @classmethod
    async def resolve_reference(cls, info: Info[Context, None],
                                id: strawberry.ID) -> Jurisdiction | None:
        node = await info.context.loaders.jurisdictions_by_code.load(str(id))
        return cls(code=node["code"], name=node["name"]) if node else None


@strawberry.federation.type(keys=["id"], description=(
    "A law-enforcement agency: what it covers and whether it sees every referred report."))
class Agency:
    node: strawberry.Private[dict[str, Any]]

    @classmethod
    async def resolve_reference(cls, info: Info[Context, None],
                                id: strawberry.ID) -> Agency | None:
        if not info.context.authenticated().may_read_agency(str(id)):
            return None  # the same answer as for an agency that does not exist
        node = await info.context.loaders.agencies_by_id.load(str(id))
        return cls(node=node) if node else None

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.node["id"])

    @strawberry.field
    def name(self) -> str:
        return str(self.node["name"])

    @strawberry.field
    def kind(self) -> AgencyKind:
        return AgencyKind(self.node["kind"])

    @strawberry.field(description="True: the agency sees every referred report (e.g. a federal "
                                  "clearinghouse partner), not only those referred to it.")
    def sees_all(self) -> bool:
        return bool(self.node.get("seesAll"))

    @strawberry.field
    def jurisdictions(self) -> list[Jurisdiction]:
        rows = sorted(self.node.get("jurisdictions") or [], key=lambda j: j["code"])
        return [Jurisdiction(code=j["code"], name=j["name"]) for j in rows]


@strawberry.type(description=(
    "One outcome an agency recorded on a referral: what, with its note, who and when."))
class OutcomeRecord:
    outcome: ReferralOutcome
    note: str | None
    at: datetime
    by: str = strawberry.field(description="The investigator's token subject.")


@strawberry.type(description=(
    "A referral of a report to an agency: who referred it, when, why, and what the agency "
    "reported back (outcomes, oldest first)."))
class Referral:
    agency_id: strawberry.Private[str]
    at: datetime
    by: str
    reason: str
    outcomes: list[OutcomeRecord] = strawberry.field(default_factory=list)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Referral:
        outcomes = row.get("outcomes") or []  # oldest first, as the graph returns them
        return cls(agency_id=row["agencyId"], at=required(row["at"]), by=row["by"],
                   reason=row["reason"],
                   outcomes=[OutcomeRecord(outcome=ReferralOutcome(o["outcome"]),
                                           note=o.get("note"), at=required(o["at"]), by=o["by"])
                             for o in outcomes])

    @strawberry.field(description="The latest outcome; null while the agency has said nothing.")
    def latest_outcome(self) -> ReferralOutcome | None:
        return self.outcomes[-1].outcome if self.outcomes else None

    @strawberry.field
    async def agency(self, info: Info[Context, None]) -> Agency:
        node = await info.context.loaders.agencies_by_id.load(self.agency_id)
        return Agency(node=node or {"id": self.agency_id, "name": self.agency_id,
                                    "kind": "LOCAL"})


@strawberry.input
class CreateAgencyInput:
    id: str
    name: str
    kind: AgencyKind
    jurisdictions: list[str] = strawberry.field(
        default_factory=list, description="Codes such as US, US-CA, GB.")
    sees_all: bool = False
