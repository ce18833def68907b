"""Statistics tables as GraphQL types."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry.types import Info

from graph.statistics import cells as service
from resolvers.context import Context


@strawberry.enum(description="What published counts are broken down by.")
class StatisticDimension(Enum):
    INCIDENT_TYPE = "INCIDENT_TYPE"
    COUNTRY = "COUNTRY"
    REPORTER = "REPORTER"
    DISPOSITION = "DISPOSITION"
    MONTH = "MONTH"


@strawberry.type
class StatisticKey:
    dimension: StatisticDimension
    value: str


@strawberry.type(description="One cell: null and suppressed when it is small, or when it "
                             "would let a small cell be worked out by subtraction.")
class StatisticCell:
    keys: list[StatisticKey]
    count: int | None
    suppressed: bool


@strawberry.type(description="One outcome's count: null and suppressed like every other cell.")
class OutcomeCount:
    outcome: str = strawberry.field(description=(
        "A ReferralOutcome, or AWAITING while the agency has reported nothing."))
    count: int | None
    suppressed: bool


@strawberry.type(description=(
    "Referrals of the year's reports (one per report and agency), by the latest outcome the "
    "agency recorded."))
class OutcomeTable:
    total: int | None = strawberry.field(description="Referrals; null under the threshold.")
    cells: list[OutcomeCount]


@strawberry.type(description="Submitted reports finished in a year, counted by dimensions.")
class StatisticsTable:
    year: int
    dimensions: list[StatisticDimension]
    total: int | None = strawberry.field(description="Null when under the threshold.")
    incidents: int | None = strawberry.field(description=(
        "Reports counted as incidents: a bundle of viral reports is one. Null when under the "
        "threshold."))
    threshold: int
    cells: list[StatisticCell]

    @strawberry.field(description=(
        "What agencies reported back on the year's referrals, suppressed like the cells."))
    async def referral_outcomes(self, info: Info[Context, None]) -> OutcomeTable:
        services = info.context.services
        table = await service.referral_outcomes(services.db, self.year,
                                                services.reads.statistics_threshold)
        return OutcomeTable(total=table.published_total, cells=[
            OutcomeCount(outcome=cell.keys[0], count=None if cell.suppressed else cell.count,
                         suppressed=cell.suppressed) for cell in table.cells])
