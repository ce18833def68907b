"""Report lookups and lists. Thin: parse arguments, ask graph/, wrap nodes in types."""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import datetime
from typing import Any, Final

import strawberry
from strawberry.types import Info
from strawberry.types.nodes import SelectedField, Selection

from graph.core.errors import BadInput, NotFound
from graph.reports.queries import WHOLE, Shape
from graph.triage import queue
from resolvers.context import Context
from resolvers.identifiers.lookup import identity
from resolvers.paging import PageInfo
from resolvers.reports.types import (
    Report,
    ReportConnection,
    ReportEdge,
    ReportFilter,
    ReportOrder,
)

REPORT_ID: Final = re.compile(r"^[0-9]{1,18}\Z")
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


async def require_report(info: Info[Context, None], report_id: int, *,
                         changed: bool = False) -> Report:
    """A report the caller may see, or ``NOT_FOUND``. ``changed``: it was just written in this
    request, so everything below it is read again rather than from the request's loader caches
    (an earlier mutation of the same document may have filled them)."""
    if changed:
        info.context.fresh_loaders()
    node = await info.context.loaders.reports_by_id.load(report_id)
    if node is None:
        raise NotFound(f"report {report_id} does not exist")
    return Report(node=node)


def selected_below(info: Info[Context, None]) -> set[str]:
    """The names of every field selected below the field being resolved (fragments included)."""
    names: set[str] = set()
    stack: list[Selection] = [s for field in info.selected_fields for s in field.selections]
    while stack:
        selection = stack.pop()
        if isinstance(selection, SelectedField):
            names.add(selection.name)
        stack.extend(selection.selections)
    return names


async def report(info: Info[Context, None], id: strawberry.ID) -> Report | None:
    return await report_reading_ahead(info, id, selected_below(info))


async def report_reading_ahead(info: Info[Context, None], id: strawberry.ID,
                               asked: set[str], shape: Shape = WHOLE) -> Report | None:
    """``report(id)``, with what ``asked`` (the fields selected below it) needs read ahead in
    the same round trip."""
    info.context.authenticated()
    await info.context.read_report_ahead(parse_report_id(str(id)), asked, shape)
    return await load_report(info, id)


def page_size(info: Info[Context, None], first: int | None) -> int:
    settings = info.context.services.reads
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
    order_by: list[ReportOrder] | None = None,
) -> ReportConnection:
    """The triage queue: by default priority (P1 first), then oldest submission first."""
    return await report_page(info, first, after, filter, order_by, selected_below(info))


async def report_page(info: Info[Context, None], first: int | None, after: str | None,
                      filter: ReportFilter | None, order_by: list[ReportOrder] | None,
                      asked: set[str], shape: Shape = WHOLE) -> ReportConnection:
    """``reports(...)``, with what ``asked`` (the fields selected below it) needs read ahead."""
    principal = info.context.authenticated()
    size = page_size(info, first)
    info.context.services.limiter.check("expensive", principal.subject)
    order = [(o.field.value, o.direction.value) for o in order_by] if order_by else list(
        queue.DEFAULT_ORDER)
    if len(order) > 3 or len({name for name, _ in order}) != len(order):
        raise BadInput("orderBy takes up to 3 different fields", field="orderBy")
    page = await queue.queue_page(
        info.context.services.db, rows=principal.row_scope(),
        filters=queue_filter(info, filter or ReportFilter()), order=order, limit=size + 1,
        after=decode_queue_cursor(after, order) if after else None, shape=shape,
        below=info.context.ahead(asked))  # the page and what is below it: one round trip
    rows = page.rows[:size]
    for _, node in rows:
        info.context.loaders.reports_by_id.prime(node["id"], info.context.touched(node))
        if node["id"] in page.trees:
            info.context.prime_tree(node["id"], page.trees[node["id"]])
    edges = [ReportEdge(cursor=encode_queue_cursor(keys, order), node=Report(node=node))
             for keys, node in rows]
    return ReportConnection(
        edges=edges,
        page_info=PageInfo(has_next_page=len(page.rows) > size,
                           end_cursor=edges[-1].cursor if edges else None),
        total_count=page.total,
    )


def queue_filter(info: Info[Context, None], given: ReportFilter) -> queue.QueueFilter:
    def names(values: list[Any] | None) -> list[str] | None:
        return [v.name for v in values] if values else None

    identifier_key = None
    if given.identifier is not None:
        ref = given.identifier
        identifier_key = identity(info, ref.kind, ref.value, ref.scope).key
    return queue.QueueFilter(
        statuses=names(given.status), incident_types=names(given.incident_types),
        dispositions=names(given.dispositions), priorities=names(given.priorities),
        annotations=names(given.annotations),
        reporter_ids=[str(r) for r in given.reporter_ids] if given.reporter_ids else None,
        submitted_after=given.submitted_after, submitted_before=given.submitted_before,
        escalated=given.has_escalation, jurisdictions=given.jurisdiction_codes or None,
        identifier_key=identifier_key, bundled=given.bundled,
        collapse_bundles=given.collapse_bundles, outcomes=names(given.outcomes),
        awaiting_outcome=given.awaiting_outcome,
    )


def encode_queue_cursor(keys: list[Any], order: list[tuple[str, str]]) -> str:
    values = [["t", k.isoformat()] if isinstance(k, datetime) else ["v", k] for k in keys]
    text = json.dumps({"o": order, "k": values}, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode()


# What each sort key's cursor value is: a forged cursor must not reach Cypher with a list, a
# string or an integer past 64 bits where the key holds a number or a time.
CURSOR_KINDS: Final[dict[str, str]] = {"PRIORITY": "v", "SUBMITTED_AT": "t", "OPENED_AT": "t",
                                       "ID": "v"}


def decode_queue_cursor(cursor: str, order: list[tuple[str, str]]) -> list[Any]:
    """The sort values of a cursor this API made for the same ordering."""
    not_ours = BadInput("the cursor is not one this API returned", field="after")
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if [tuple(o) for o in data["o"]] != [tuple(o) for o in order]:
            raise BadInput("the cursor belongs to a different orderBy", field="after")
        names = [name for name, _ in order]
        kinds = [CURSOR_KINDS[n] for n in (names if "ID" in names else [*names, "ID"])]
        values = data["k"]
        if len(values) != len(kinds) or any(
                tag != kind or (tag == "v" and not (type(v) is int and 0 <= v < 2 ** 63))
                for (tag, v), kind in zip(values, kinds, strict=True)):
            raise not_ours
        return [datetime.fromisoformat(v) if tag == "t" else v for tag, v in values]
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise not_ours from None
