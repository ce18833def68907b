"""Report lookups and lists. Thin: parse arguments, ask graph/, wrap nodes in types."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any, Final

import strawberry
from strawberry.types import Info

from graph import readers
from graph.errors import BadInput
from resolvers.context import Context
from resolvers.reports.types import PageInfo, Report, ReportConnection, ReportEdge, ReportFilter

REPORT_ID: Final = re.compile(r"^[0-9]{1,18}$")
CURSOR_PREFIX: Final = "report:"


def parse_report_id(value: str, field: str = "id") -> int:
    """A report id from a GraphQL ID: decimal digits only, else ``BAD_USER_INPUT``."""
    text = str(value).strip()
    if not REPORT_ID.match(text):
        raise BadInput(f"{value!r} is not a report id (report ids are integers)", field=field)
    return int(text)


def encode_cursor(report_id: int) -> str:
    return base64.urlsafe_b64encode(f"{CURSOR_PREFIX}{report_id}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadInput("the cursor is not one this API returned", field="after") from None
    if not text.startswith(CURSOR_PREFIX):
        raise BadInput("the cursor is not one this API returned", field="after")
    return parse_report_id(text.removeprefix(CURSOR_PREFIX), "after")


async def load_report(info: Info[Context, None], report_id: strawberry.ID | int) -> Report | None:
    """A report the caller may see, or ``None`` (which is also the answer for one it may not)."""
    info.context.authenticated()
    key = report_id if isinstance(report_id, int) else parse_report_id(str(report_id))
    node = await info.context.loaders.reports_by_id.load(key)
    return Report(node=node) if node else None


async def report(info: Info[Context, None], id: strawberry.ID) -> Report | None:
    return await load_report(info, id)


def page_size(info: Info[Context, None], first: int | None) -> int:
    settings = info.context.services.settings
    size = settings.default_page_size if first is None else first
    if not 0 <= size <= settings.max_page_size:
        raise BadInput(f"first must be between 0 and {settings.max_page_size}", field="first")
    return size


def to_connection(info: Info[Context, None], total: int, page: list[dict[str, Any]],
                  size: int) -> ReportConnection:
    """A Relay page from ``size + 1`` rows (the extra one says whether there is more)."""
    nodes = page[:size]
    for node in nodes:
        info.context.loaders.reports_by_id.prime(node["id"], info.context.touched(node))
    edges = [ReportEdge(cursor=encode_cursor(n["id"]), node=Report(node=n)) for n in nodes]
    return ReportConnection(
        edges=edges,
        page_info=PageInfo(has_next_page=len(page) > size,
                           end_cursor=edges[-1].cursor if edges else None),
        total_count=total,
    )


async def reports(
    info: Info[Context, None],
    first: int | None = None,
    after: str | None = None,
    filter: ReportFilter | None = None,
) -> ReportConnection:
    principal = info.context.authenticated()
    size = page_size(info, first)
    info.context.services.limiter.check("expensive", principal.subject)
    total, page = await readers.report_page(
        info.context.services.db,
        scope=principal.row_scope(),
        limit=size + 1,
        before=decode_cursor(after) if after else None,
        statuses=[s.name for s in filter.status] if filter and filter.status else None,
        incident_types=[t.name for t in filter.incident_types]
        if filter and filter.incident_types else None,
    )
    return to_connection(info, total, page, size)
