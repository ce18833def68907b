"""Statistics tables as GraphQL types."""

from __future__ import annotations

from enum import Enum

import strawberry


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
