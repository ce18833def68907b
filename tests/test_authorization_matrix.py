"""Row rules on every path that returns or counts reports, generated: every principal x every
path x every report of the world (visible and invisible)."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable

import pytest

from authz.roles import Role
from graph.core.db import Database
from tests.conftest import Api, Tokens
from tests.world import VISIBLE, World, build_world


def token_for(tokens: Tokens, principal: str) -> str:
    if principal.startswith("esp-"):
        return tokens.esp(principal)
    if principal.startswith("le-"):
        return tokens.mint(Role.LE, agency_id=principal.removeprefix("le-"))
    return tokens.mint(Role(principal))


Path = Callable[[Api, str, World], Awaitable[set[int]]]


async def by_report(api: Api, token: str, world: World) -> set[int]:
    seen = set()
    for report_id in world.reports.values():
        body = await api.gql("query($id: ID!) { report(id: $id) { id } }", {"id": report_id},
                             token=token)
        if body["data"]["report"] is not None:
            seen.add(int(body["data"]["report"]["id"]))
    return seen


async def by_list(api: Api, token: str, world: World) -> set[int]:
    body = await api.gql("{ reports(first: 100) { totalCount edges { node { id } } } }",
                         token=token)
    if body.get("errors"):
        return set()
    ids = {int(e["node"]["id"]) for e in body["data"]["reports"]["edges"]}
    assert body["data"]["reports"]["totalCount"] == len(ids)
    return ids


SHARED = '(kind: EMAIL, value: "shared@example.com")'


async def by_identifier_reports(api: Api, token: str, world: World) -> set[int]:
    body = await api.gql("{ identifier" + SHARED + " { reports(first: 100) { totalCount "
                         "edges { node { id } } } } }", token=token)
    found = (body.get("data") or {}).get("identifier")
    if not found:
        return set()
    ids = {int(e["node"]["id"]) for e in found["reports"]["edges"]}
    assert found["reports"]["totalCount"] == len(ids)
    return ids


async def by_identifier_count(api: Api, token: str, world: World) -> set[int]:
    """The count must equal the number of visible submitted reports (only submitted reports
    count: A1 is open and A3 cancelled)."""
    body = await api.gql("{ identifier" + SHARED + " { reportCount } }", token=token)
    found = (body.get("data") or {}).get("identifier")
    count = found["reportCount"] if found else 0
    expected = by_count_expectation[token]
    counted = expected & world.ids("A2", "B1", "B2")
    assert count == len(counted), (count, counted)
    return expected


by_count_expectation: dict[str, set[int]] = {}


async def by_entities(api: Api, token: str, world: World) -> set[int]:
    representations = [{"__typename": "Report", "id": str(i)} for i in world.reports.values()]
    body = await api.gql("query($r: [_Any!]!) { _entities(representations: $r) "
                         "{ ... on Report { id } } }", {"r": representations}, token=token)
    if body.get("errors") and not body.get("data"):
        return set()
    return {int(e["id"]) for e in body["data"]["_entities"] if e}


async def by_mentions_of_entities(api: Api, token: str, world: World) -> set[int]:
    """_entities on the shared Identifier, then its reports."""
    from graph.identifiers.identity import normalise_email
    from tests.helpers import IDS

    ident = IDS.of(normalise_email("shared@example.com").key)
    body = await api.gql("query($r: [_Any!]!) { _entities(representations: $r) { "
                         "... on Identifier { reports(first: 100) { edges { node { id } } } } } }",
                         {"r": [{"__typename": "Identifier", "id": ident}]}, token=token)
    entity = ((body.get("data") or {}).get("_entities") or [None])[0]
    if not entity:
        return set()
    return {int(e["node"]["id"]) for e in entity["reports"]["edges"]}


PATHS: dict[str, Path] = {
    "report(id)": by_report,
    "reports": by_list,
    "Identifier.reports": by_identifier_reports,
    "Identifier.reportCount": by_identifier_count,
    "_entities(Report)": by_entities,
    "_entities(Identifier).reports": by_mentions_of_entities,
}


@pytest.mark.parametrize(("principal", "path"), list(itertools.product(VISIBLE, PATHS)))
async def test_row_rules(api: Api, db: Database, tokens: Tokens, principal: str,
                         path: str) -> None:
    # given the world, and a principal's token
    world = await build_world(db)
    token = token_for(tokens, principal)
    expected = world.ids(*VISIBLE[principal])
    by_count_expectation[token] = expected
    # when it reaches reports along one path
    seen = await PATHS[path](api, token, world)
    # then it sees exactly the reports its row rule allows, and nothing of the others
    assert seen == expected, f"{principal} via {path}"


@pytest.mark.parametrize("principal", [p for p in VISIBLE if p.startswith(("esp-", "le-"))])
async def test_an_invisible_report_answers_as_an_absent_one(
        api: Api, db: Database, tokens: Tokens, principal: str) -> None:
    world = await build_world(db)
    token = token_for(tokens, principal)
    hidden = sorted(set(world.reports.values()) - world.ids(*VISIBLE[principal]))
    absent = 987_654_321
    query = "query($id: ID!) { report(id: $id) { id status } }"
    reference = await api.gql(query, {"id": absent}, token=token)
    for report_id in hidden:
        body = await api.gql(query, {"id": report_id}, token=token)
        assert body == reference, (principal, report_id)


async def test_two_agencies_never_see_each_others_reports(api: Api, db: Database,
                                                          tokens: Tokens) -> None:
    world = await build_world(db)
    one = tokens.mint(Role.LE, agency_id="agency-1")
    two = tokens.mint(Role.LE, agency_id="agency-2")
    assert await by_list(api, one, world) == world.ids("A2")
    assert await by_list(api, two, world) == world.ids("B1")
    # referrals on a report name only the reader's own agency
    body = await api.gql("query($id: ID!) { report(id: $id) { referrals { agency { id } } } }",
                         {"id": world.reports["A2"]}, token=one)
    assert body["data"]["report"]["referrals"] == [{"agency": {"id": "agency-1"}}]


async def test_a_referral_makes_a_report_visible_to_that_agency_only(
        api: Api, db: Database, tokens: Tokens) -> None:
    world = await build_world(db)
    analyst = tokens.mint(Role.ANALYST)
    two = tokens.mint(Role.LE, agency_id="agency-2")
    assert world.reports["B2"] not in await by_list(api, two, world)
    body = await api.gql(
        'mutation($id: ID!) { referReport(reportId: $id, agencyId: "agency-2", '
        'reason: "suspect in NY") { id referrals { agency { id } by reason at } } }',
        {"id": world.reports["B2"]}, token=analyst)
    assert "errors" not in body, body
    [referral] = body["data"]["referReport"]["referrals"]
    assert referral["by"] == "analyst-user"
    assert referral["reason"] == "suspect in NY"
    assert world.reports["B2"] in await by_list(api, two, world)
    assert world.reports["B2"] not in await by_list(api, tokens.mint(Role.LE,
                                                                     agency_id="agency-1"),
                                                   world)


async def test_only_submitted_reports_can_be_referred(api: Api, db: Database,
                                                      tokens: Tokens) -> None:
    world = await build_world(db)
    analyst = tokens.mint(Role.ANALYST)
    mutation = ('mutation($id: ID!, $a: ID!) { referReport(reportId: $id, agencyId: $a, '
                'reason: "r") { id } }')
    open_one = await api.gql(mutation, {"id": world.reports["A1"], "a": "agency-1"},
                             token=analyst)
    assert open_one["errors"][0]["extensions"]["code"] == "CONFLICT"
    twice = await api.gql(mutation, {"id": world.reports["A2"], "a": "agency-1"}, token=analyst)
    assert twice["errors"][0]["extensions"]["code"] == "CONFLICT"
    unknown = await api.gql(mutation, {"id": world.reports["A2"], "a": "nope"}, token=analyst)
    assert unknown["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    by_le = await api.gql(mutation, {"id": world.reports["A2"], "a": "agency-2"},
                          token=tokens.mint(Role.LE, agency_id="agency-1"))
    assert by_le["errors"][0]["extensions"]["code"] == "FORBIDDEN"


