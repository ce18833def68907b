"""The triage queue: filters, default order, stable cursors, totalCount."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from authz.roles import Role
from graph.core.db import Database
from graph.core.visibility import EVERY_REPORT
from graph.core.vocabulary import IncidentType, ReportAnnotation
from graph.reports.reporters import register_reporter
from graph.triage.service import set_disposition, set_priority
from tests.conftest import Api, Tokens
from tests.helpers import intake as make_intake

QUEUE = """
query($filter: ReportFilter, $order: [ReportOrder!], $first: Int, $after: String) {
  reports(filter: $filter, orderBy: $order, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { id priority } }
  }
}
"""


def doc(i: int, **extra: Any) -> dict[str, Any]:
    return {"incident_type": IncidentType.CHILD_PORNOGRAPHY,
            "incident_date_time": datetime(2026, 9, 1, tzinfo=UTC),
            "reported_people": [{"emails": [{"address": f"user{i}@example.com"}]}], **extra}


async def queue_world(db: Database) -> dict[str, int]:
    """Six submitted reports (r0 oldest .. r5 newest) and one open one."""
    intake = make_intake(db)
    await register_reporter(db, "esp-a", "A")
    await register_reporter(db, "esp-b", "B")
    ids: dict[str, int] = {}
    extras: list[dict[str, Any]] = [
        {}, {"annotations": [ReportAnnotation.SEXTORTION]},
        {"escalate_to_high_priority": "risk"}, {"incident_type": IncidentType.ONLINE_ENTICEMENT},
        {}, {}]
    for i, extra in enumerate(extras):
        esp = "esp-b" if i == 4 else "esp-a"
        ids[f"r{i}"] = (await intake.submit_report(esp, doc(i, **extra)))["id"]
        await asyncio.sleep(0.01)  # distinct submission times
    ids["open"] = (await intake.open_report("esp-a", doc(9)))["id"]
    await set_priority(db, ids["r3"], "P1", reason="x", by="a", rows=EVERY_REPORT)
    await set_priority(db, ids["r1"], "P2", reason="x", by="a", rows=EVERY_REPORT)
    await set_priority(db, ids["r5"], "P1", reason="x", by="a", rows=EVERY_REPORT)
    await set_disposition(db, ids["r0"], "INFORMATIONAL", reason="x", by="a",
                          rows=EVERY_REPORT)
    return ids


async def page(api: Api, token: str, **variables: Any) -> dict[str, Any]:
    body = await api.gql(QUEUE, variables, token=token)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["reports"]
    return result


def ids_of(result: dict[str, Any]) -> list[int]:
    return [int(e["node"]["id"]) for e in result["edges"]]


async def test_the_default_order_is_priority_then_oldest_submission(
        api: Api, db: Database, tokens: Tokens) -> None:
    ids = await queue_world(db)
    analyst = tokens.mint(Role.ANALYST)
    result = await page(api, analyst, first=20)
    assert ids_of(result) == [ids[k] for k in ("r3", "r5", "r1", "r0", "r2", "r4", "open")]
    assert result["totalCount"] == 7


FILTERS: list[tuple[dict[str, Any], tuple[str, ...]]] = [
    ({"status": ["OPEN"]}, ("open",)),
    ({"priorities": ["P1"]}, ("r3", "r5")),
    ({"priorities": ["UNSET"], "status": ["SUBMITTED"]}, ("r0", "r2", "r4")),
    ({"dispositions": ["INFORMATIONAL"]}, ("r0",)),
    ({"incidentTypes": ["ONLINE_ENTICEMENT"]}, ("r3",)),
    ({"annotations": ["SEXTORTION"]}, ("r1",)),
    ({"reporterIds": ["esp-b"]}, ("r4",)),
    ({"hasEscalation": True}, ("r2",)),
    ({"identifier": {"kind": "EMAIL", "value": "USER4@example.com"}}, ("r4",)),
    ({"bundled": True}, ()),
    ({"jurisdictionCodes": ["US-CA"]}, ()),
]


@pytest.mark.parametrize(("given", "expected"), FILTERS, ids=[str(f[0]) for f in FILTERS])
async def test_each_filter_narrows_the_queue(api: Api, db: Database, tokens: Tokens,
                                             given: dict[str, Any],
                                             expected: tuple[str, ...]) -> None:
    ids = await queue_world(db)
    result = await page(api, tokens.mint(Role.ANALYST), filter=given, first=20)
    assert set(ids_of(result)) == {ids[k] for k in expected}
    assert result["totalCount"] == len(expected)


async def test_submission_time_filters(api: Api, db: Database, tokens: Tokens) -> None:
    ids = await queue_world(db)
    analyst = tokens.mint(Role.ANALYST)
    middle = await api.gql('query($id: ID!) { report(id: $id) { finishedAt } }',
                           {"id": ids["r3"]}, token=analyst)
    cut = middle["data"]["report"]["finishedAt"]
    after = await page(api, analyst, filter={"submittedAfter": cut}, first=20)
    before = await page(api, analyst, filter={"submittedBefore": cut}, first=20)
    assert set(ids_of(after)) == {ids[k] for k in ("r3", "r4", "r5")}
    assert set(ids_of(before)) == {ids[k] for k in ("r0", "r1", "r2")}


async def test_cursors_are_stable_while_reports_arrive(api: Api, db: Database,
                                                       tokens: Tokens) -> None:
    # given the queue read two at a time
    ids = await queue_world(db)
    analyst = tokens.mint(Role.ANALYST)
    first = await page(api, analyst, first=2)
    # when a new report arrives between pages
    intake = make_intake(db)
    newcomer = (await intake.submit_report("esp-a", doc(7)))["id"]
    seen = ids_of(first)
    cursor = first["pageInfo"]["endCursor"]
    while cursor:
        result = await page(api, analyst, first=2, after=cursor)
        seen += ids_of(result)
        cursor = result["pageInfo"]["endCursor"] if result["pageInfo"]["hasNextPage"] else None
    # then no report is skipped or repeated, and the newcomer (untriaged, submitted last)
    # takes its place at the end
    assert len(seen) == len(set(seen))
    assert set(seen) == set(ids.values()) | {newcomer}
    assert seen[-1] == newcomer


async def test_a_custom_order_and_its_cursor(api: Api, db: Database, tokens: Tokens) -> None:
    ids = await queue_world(db)
    analyst = tokens.mint(Role.ANALYST)
    newest = [{"field": "SUBMITTED_AT", "direction": "DESC"}]
    result = await page(api, analyst, order=newest, first=3,
                        filter={"status": ["SUBMITTED"]})
    assert ids_of(result) == [ids["r5"], ids["r4"], ids["r3"]]
    rest = await page(api, analyst, order=newest, first=3, filter={"status": ["SUBMITTED"]},
                      after=result["pageInfo"]["endCursor"])
    assert ids_of(rest) == [ids["r2"], ids["r1"], ids["r0"]]
    mismatch = await api.gql(QUEUE, {"first": 3, "after": result["pageInfo"]["endCursor"]},
                             token=analyst)
    assert mismatch["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    garbage = await api.gql(QUEUE, {"first": 3, "after": "!!"}, token=analyst)
    assert garbage["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    twice = await api.gql(QUEUE, {"order": newest * 2}, token=analyst)
    assert twice["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
