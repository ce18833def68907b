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


@strawberry.enum(description="What published label counts are broken down by.")
class LabelDimension(Enum):
    SCHEME = "SCHEME"
    SOURCE = "SOURCE"
    VIEWED = "VIEWED"


@strawberry.type
class StatisticKey:
    dimension: StatisticDimension
    value: str


@strawberry.type(description=(
    "One cell: a protected count (see StatisticsTable.noise), null and suppressed when it is "
    "under the threshold."))
class StatisticCell:
    keys: list[StatisticKey]
    count: int | None
    suppressed: bool


@strawberry.type(description="One outcome's count: protected and suppressed like every cell.")
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


@strawberry.type(description="One cell of a count table: its keys by name, protected.")
class CountCell:
    keys: list[str] = strawberry.field(description="In the order of the table's dimensions.")
    count: int | None
    suppressed: bool


@strawberry.type(description="Counts by the named dimensions, protected like every cell.")
class CountTable:
    dimensions: list[str]
    total: int | None = strawberry.field(description="Null under the threshold.")
    cells: list[CountCell]

    @classmethod
    def of(cls, table: service.Table) -> CountTable:
        return cls(dimensions=list(table.dimensions), total=table.published_total, cells=[
            CountCell(keys=list(c.keys), count=None if c.suppressed else c.count,
                      suppressed=c.suppressed) for c in table.cells])


@strawberry.type(description=(
    "Submitted reports finished in a year, counted by dimensions. Every table is protected "
    "jointly: each is an exact sum of one perturbed table of the year's reports by all five "
    "dimensions, whose cells are off by at most `noise` (and never below zero); a count under "
    "`threshold` is suppressed. Combining tables tells no more than that one table."))
class StatisticsTable:
    year: int
    dimensions: list[StatisticDimension]
    total: int | None = strawberry.field(description="Null when under the threshold.")
    incidents: int | None = strawberry.field(description=(
        "Reports counted as incidents: a bundle of viral reports is one. Null when under the "
        "threshold."))
    threshold: int
    noise: int = strawberry.field(description=(
        "D: a fine cell of n reports is published off by at most min(D, n)."))
    cells: list[StatisticCell]
    protection: strawberry.Private[service.Protection]

    @strawberry.field(description=(
        "What agencies reported back on the year's referrals, protected like the cells."))
    async def referral_outcomes(self, info: Info[Context, None]) -> OutcomeTable:
        table = await service.referral_outcomes(info.context.services.db, self.year,
                                                self.protection)
        return OutcomeTable(total=table.published_total, cells=[
            OutcomeCount(outcome=cell.keys[0], count=None if cell.suppressed else cell.count,
                         suppressed=cell.suppressed) for cell in table.cells])

    @strawberry.field(description=(
        "Who labelled what: live labels on the files of the year's reports, by scheme, "
        "source (ESP, ANALYST, AUTOMATED, MATCH) and whether anyone at the ESP viewed the "
        "file (VIEWED, NOT_VIEWED, NOT_SAID); protected like the cells."))
    async def labels(self, info: Info[Context, None],
                     by: list[LabelDimension] | None = None) -> CountTable:
        wanted = [d.value for d in by] if by else list(service.LABEL_DIMENSIONS)
        return CountTable.of(await service.labels(info.context.services.db, self.year, wanted,
                                                  self.protection))

    @strawberry.field(description=(
        "Live matches on the files of the year's reports, by hash-list version (NAME@VERSION; "
        "ANALYST_LABELLED_FILES for near duplicates of files analysts labelled); protected "
        "like the cells."))
    async def matches_by_list(self, info: Info[Context, None]) -> CountTable:
        return CountTable.of(await service.matches(info.context.services.db, self.year,
                                                   self.protection))
