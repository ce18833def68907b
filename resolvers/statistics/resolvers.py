"""statistics: public, counted in the graph, protected in graph.statistics.cells."""

from __future__ import annotations

from datetime import UTC, datetime

from strawberry.types import Info

from graph.core.errors import BadInput
from graph.statistics import cells as service
from resolvers.context import Context
from resolvers.statistics.types import (
    StatisticCell,
    StatisticDimension,
    StatisticKey,
    StatisticsTable,
)


def protection(info: Info[Context, None]) -> service.Protection:
    """The server's protection of published counts (keyed from its identifier key)."""
    services = info.context.services
    return service.Protection.derived(services.intake.identifier_ids.key,
                                      services.reads.statistics_noise,
                                      services.reads.statistics_threshold)


async def statistics(info: Info[Context, None], year: int,
                     by: list[StatisticDimension]) -> StatisticsTable:
    if not 2000 <= year <= datetime.now(UTC).year:
        raise BadInput("year must be between 2000 and this year", field="year")
    if not by or len(by) > service.MAX_DIMENSIONS:
        raise BadInput(f"by takes 1 to {service.MAX_DIMENSIONS} dimensions", field="by")
    request = info.context.request
    who = info.context.principal.subject if info.context.principal else (
        request.client.host if request.client else "anonymous")
    info.context.services.limiter.check("expensive", who)
    protected = protection(info)
    table = await service.statistics(info.context.services.db, year, [d.value for d in by],
                                     protected)
    dimensions = [StatisticDimension(d) for d in table.dimensions]
    return StatisticsTable(
        year=year, dimensions=dimensions, total=table.published_total,
        incidents=table.published_incidents, threshold=table.threshold, noise=table.noise,
        protection=protected,
        cells=[StatisticCell(keys=[StatisticKey(dimension=d, value=v)
                                   for d, v in zip(dimensions, cell.keys, strict=True)],
                             count=None if cell.suppressed else cell.count,
                             suppressed=cell.suppressed) for cell in table.cells])
