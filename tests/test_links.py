"""Specification: link analysis (neighborhood, degreePreview, paths, cluster) walks only what the
reader may see, leaves common identifiers out unless asked, and keeps its caps.

The graph (threshold for "common": 3 reports):

    A --email x-- B --screen name s1-- C --phone p-- D        and an IP shared by A, E1, E2, E3
    referred to agency-1: A, C, D (not B)
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from lxml import etree
from starlette.applications import Starlette

from api.app import create_app
from api.settings import Settings
from authz.roles import Role
from graph.core.db import Database, run
from graph.core.visibility import EVERY_REPORT
from graph.referrals.agencies import AgencyKind, AgencySpec, refer_report, upsert_agency
from graph.reports.reporters import register_reporter
from tests.conftest import Api, Tokens
from tests.documents import SUBMIT_REPORT
from tests.helpers import make_settings, tipgraph

ALL = EVERY_REPORT
SUBGRAPH = """nodes { id type label common properties }
  edges { id type source target properties } truncated
  omittedCommon { id kind value reportCount }"""
NEIGHBORHOOD = ("query($id: ID!, $depth: Int!, $first: Int!, $common: Boolean!) {"
                " neighborhood(id: $id, depth: $depth, first: $first, includeCommon: $common) {"
                + SUBGRAPH + " } }")
PATHS = ("query($a: ID!, $b: ID!, $hops: Int!) { paths(fromId: $a, toId: $b, maxHops: $hops) {"
         + SUBGRAPH + " } }")
CLUSTER = ("query($id: ID!, $min: Int!) { cluster(reportId: $id, minShared: $min) {"
           + SUBGRAPH + " } }")


def person(**fields: Any) -> dict[str, Any]:
    return {"incidentType": "ONLINE_ENTICEMENT", "incidentDateTime": "2026-10-01T08:00:00Z",
            "reportedPeople": [{"espService": "ExampleChat", **fields}]}


@pytest.fixture
async def links_api(neo4j_uri: str, settings: Settings, db: Database) -> AsyncIterator[Api]:
    """The app with "common" above 3 reports (the session's keys, so its tokens work)."""
    app: Starlette = create_app(make_settings(neo4j_uri, settings.state_dir,
                                              TIPGRAPH_COMMON_IDENTIFIER_REPORTS="3"))
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://tipgraph.test") as client:
        yield Api(client)


@pytest.fixture
async def world(links_api: Api, db: Database, tokens: Tokens) -> dict[str, str]:
    await register_reporter(db, "example-esp", "Example ESP")
    esp = tokens.esp("example-esp")
    documents = {
        "A": person(emails=[{"address": "x@example.com"}],
                    ipCaptureEvents=[{"ipAddress": "192.0.2.1", "eventName": "LOGIN"}]),
        "B": person(emails=[{"address": "x@example.com"}], screenName="s1"),
        "C": person(screenName="s1", phones=[{"number": "+1 415 555 0199"}]),
        "D": person(phones=[{"number": "+1 415 555 0199"}]),
        **{f"E{i}": person(ipCaptureEvents=[{"ipAddress": "192.0.2.1"}]) for i in (1, 2, 3)},
    }
    ids: dict[str, str] = {}
    for name, document in documents.items():
        body = await links_api.gql(SUBMIT_REPORT, {"input": document}, token=esp)
        assert "errors" not in body, body
        ids[name] = body["data"]["submitReport"]["id"]
    await upsert_agency(db, AgencySpec("agency-1", "Agency One", AgencyKind.STATE, ("US-CA",)))
    for name in ("A", "C", "D"):
        await refer_report(db, int(ids[name]), "agency-1", by="analyst", reason="test",
                           rows=EVERY_REPORT)

    async def identifier_ids(tx: Any) -> dict[str, str]:
        rows = await run(tx, "MATCH (i:Identifier) RETURN i.value AS value, i.id AS id")
        return {row["value"]: row["id"] for row in rows}

    ids.update(await db.read(identifier_ids))
    return ids


def labels(graph: dict[str, Any]) -> set[str]:
    return {n["id"] for n in graph["nodes"]}


async def test_neighborhood_expands_by_depth_with_provenance(
        links_api: Api, world: dict[str, str], tokens: Tokens) -> None:
    analyst = tokens.mint(Role.ANALYST)
    one = (await links_api.gql(NEIGHBORHOOD, {"id": world["A"], "depth": 1, "first": 200,
                                              "common": False}, token=analyst))
    graph = one["data"]["neighborhood"]
    assert labels(graph) == {world["A"], world["x@example.com"]}
    # the shared IP is common (4 reports > 3): left out, and said so
    assert graph["omittedCommon"] == [{"id": world["192.0.2.1"], "kind": "IP_ADDRESS",
                                       "value": "192.0.2.1", "reportCount": 4}]
    [edge] = graph["edges"]
    assert edge["source"] == world["A"]
    assert edge["properties"]["by"] == "example-esp"
    assert edge["properties"]["source"] == "ESP"
    assert "reported it in report" in edge["properties"]["basis"]
    email = next(n for n in graph["nodes"] if n["type"] == "Identifier")
    assert email["label"] == "EMAIL: x@example.com"
    assert email["properties"]["reportCount"] == 2
    assert email["properties"]["firstSeenAt"]

    two = await links_api.gql(NEIGHBORHOOD, {"id": world["A"], "depth": 3, "first": 200,
                                             "common": False}, token=analyst)
    assert labels(two["data"]["neighborhood"]) == {
        world["A"], world["x@example.com"], world["B"], world["s1"]}
    with_common = await links_api.gql(NEIGHBORHOOD, {"id": world["A"], "depth": 2, "first": 200,
                                                     "common": True}, token=analyst)
    assert {world["E1"], world["E2"], world["E3"], world["192.0.2.1"]} <= labels(
        with_common["data"]["neighborhood"])


async def test_caps_hold(links_api: Api, world: dict[str, str], tokens: Tokens) -> None:
    analyst = tokens.mint(Role.ANALYST)
    capped = await links_api.gql(NEIGHBORHOOD, {"id": world["A"], "depth": 3, "first": 2,
                                                "common": True}, token=analyst)
    graph = capped["data"]["neighborhood"]
    assert len(graph["nodes"]) == 2
    assert graph["truncated"] is True
    for depth, first in ((4, 10), (0, 10), (1, 0), (1, 5000)):
        refused = await links_api.gql(NEIGHBORHOOD, {"id": world["A"], "depth": depth,
                                                     "first": first, "common": False},
                                      token=analyst)
        assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    hops = await links_api.gql(PATHS, {"a": world["A"], "b": world["D"], "hops": 7},
                               token=analyst)
    assert hops["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    for hostile in ("'; DROP", "\u00b2", "1" * 40):  # the superscript two isdigit() in Python
        bad = await links_api.gql(NEIGHBORHOOD, {"id": hostile, "depth": 1, "first": 5,
                                                 "common": False}, token=analyst)
        assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", hostile


async def test_degree_preview_counts_by_type(links_api: Api, world: dict[str, str],
                                             tokens: Tokens) -> None:
    query = "query($id: ID!) { degreePreview(id: $id) { id type total byType { type count } } }"
    report = await links_api.gql(query, {"id": world["A"]}, token=tokens.mint(Role.ANALYST))
    preview = report["data"]["degreePreview"]
    assert preview["type"] == "Report"
    assert {t["type"]: t["count"] for t in preview["byType"]} == {"EMAIL": 1, "IP_ADDRESS": 1}
    ip = await links_api.gql(query, {"id": world["192.0.2.1"]}, token=tokens.mint(Role.ANALYST))
    assert ip["data"]["degreePreview"]["byType"] == [{"type": "Report", "count": 4}]


async def test_paths_are_shortest_and_keep_the_hop_cap(links_api: Api, world: dict[str, str],
                                                       tokens: Tokens) -> None:
    analyst = tokens.mint(Role.ANALYST)
    found = await links_api.gql(PATHS, {"a": world["A"], "b": world["D"], "hops": 6},
                                token=analyst)
    assert found.get("data"), found
    [path] = found["data"]["paths"]
    assert labels(path) == {world[k] for k in ("A", "x@example.com", "B", "s1", "C",
                                                "+14155550199", "D")}
    assert len(path["edges"]) == 6
    too_far = await links_api.gql(PATHS, {"a": world["A"], "b": world["D"], "hops": 5},
                                  token=analyst)
    assert too_far["data"]["paths"] == []
    # through the common IP only when asked for it
    via_ip = await links_api.gql(PATHS, {"a": world["A"], "b": world["E1"], "hops": 6},
                                 token=analyst)
    assert via_ip["data"]["paths"] == []


async def test_cluster_follows_identifiers_that_are_not_common(
        links_api: Api, world: dict[str, str], tokens: Tokens) -> None:
    analyst = tokens.mint(Role.ANALYST)
    body = await links_api.gql(CLUSTER, {"id": world["A"], "min": 1}, token=analyst)
    graph = body["data"]["cluster"]
    reports = {n["id"] for n in graph["nodes"] if n["type"] == "Report"}
    assert reports == {world[k] for k in ("A", "B", "C", "D")}
    assert world["192.0.2.1"] in {o["id"] for o in graph["omittedCommon"]}
    strict = await links_api.gql(CLUSTER, {"id": world["A"], "min": 2}, token=analyst)
    assert labels(strict["data"]["cluster"]) == {world["A"]}
    # a common identifier is counted only as far as "common" (threshold 3: "4", at least)
    counted = await links_api.gql("query($id: ID!) { cluster(reportId: $id) { omittedCommon {"
                                  " id reportCount countIsMinimum } } }", {"id": world["A"]},
                                  token=analyst)
    assert counted["data"]["cluster"]["omittedCommon"] == [
        {"id": world["192.0.2.1"], "reportCount": 4, "countIsMinimum": True}]
    # the walk stops once it holds `first` nodes, and says so
    small = await links_api.gql("query($id: ID!) { cluster(reportId: $id, first: 3) {"
                                " nodes { id } truncated } }", {"id": world["A"]}, token=analyst)
    assert len(small["data"]["cluster"]["nodes"]) == 3
    assert small["data"]["cluster"]["truncated"] is True


async def test_an_agency_walks_only_inside_its_referrals(
        links_api: Api, world: dict[str, str], tokens: Tokens) -> None:
    officer = tokens.mint(Role.LE, agency_id="agency-1")
    around = await links_api.gql(NEIGHBORHOOD, {"id": world["A"], "depth": 3, "first": 200,
                                                "common": True}, token=officer)
    graph = around["data"]["neighborhood"]
    seen = labels(graph)
    assert world["B"] not in seen  # B is not referred to it
    assert world["s1"] not in seen
    assert not {world["E1"], world["E2"], world["E3"]} & seen
    email = next(n for n in graph["nodes"] if n["id"] == world["x@example.com"])
    assert email["properties"]["reportCount"] == 1  # B is not counted either
    ip = next(n for n in graph["nodes"] if n["id"] == world["192.0.2.1"])
    assert ip["common"] is False  # its 4 reports are 1 for this agency
    # B as a step: no path from A to C for this agency
    path = await links_api.gql(PATHS, {"a": world["A"], "b": world["C"], "hops": 6},
                               token=officer)
    assert path["data"]["paths"] == []
    # B itself does not exist for it, nor does an identifier only B mentions... unless C does
    hidden = await links_api.gql(NEIGHBORHOOD, {"id": world["B"], "depth": 1, "first": 10,
                                                "common": False}, token=officer)
    assert hidden["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    preview = await links_api.gql("query($id: ID!) { degreePreview(id: $id) { total } }",
                                  {"id": world["s1"]}, token=officer)
    assert preview["data"]["degreePreview"]["total"] == 1  # C only
    cluster = await links_api.gql(CLUSTER, {"id": world["C"], "min": 1}, token=officer)
    reports = {n["id"] for n in cluster["data"]["cluster"]["nodes"] if n["type"] == "Report"}
    assert reports == {world["C"], world["D"]}


async def test_link_analysis_needs_links_explore_and_is_audited(
        links_api: Api, world: dict[str, str], tokens: Tokens, db: Database) -> None:
    variables = {"id": world["A"], "depth": 1, "first": 10, "common": False}
    for token in (tokens.esp("example-esp"),
                  tokens.mint(Role.LE, agency_id="agency-1", scope="report:read pii:read")):
        refused = await links_api.gql(NEIGHBORHOOD, variables, token=token)
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    masked = await links_api.gql(NEIGHBORHOOD, variables, token=tokens.mint(
        Role.LE, agency_id="agency-1", scope="report:read links:explore"))
    email = next(n for n in masked["data"]["neighborhood"]["nodes"] if n["type"] == "Identifier")
    assert "value" not in email["properties"]
    assert "x@example.com" not in email["label"]

    await links_api.gql(NEIGHBORHOOD, variables, token=tokens.mint(Role.ANALYST,
                                                                     subject="an-7"))

    async def events(tx: Any) -> list[dict[str, Any]]:
        rows = await run(tx, "MATCH (e:AuditEvent {subject: 'an-7'}) RETURN e.reportIds AS r,"
                             " e.outcome AS outcome")
        return [dict(row) for row in rows]

    [event] = await db.read(events)
    assert int(world["A"]) in event["r"]


async def test_export_graphml_from_graphql_and_the_cli_agree(
        links_api: Api, world: dict[str, str], tokens: Tokens, settings: Settings,
        db: Database) -> None:
    query = ("query($id: ID!) { neighborhood(id: $id, depth: 2) { nodes { id } edges { id }"
             " graphml } }")
    body = await links_api.gql(query, {"id": world["A"]}, token=tokens.mint(Role.ANALYST))
    graph = body["data"]["neighborhood"]
    xml = etree.fromstring(graph["graphml"].encode())
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    assert {n.get("id") for n in xml.findall(".//g:node", ns)} == {n["id"] for n in
                                                                    graph["nodes"]}
    assert len(xml.findall(".//g:edge", ns)) == len(graph["edges"])
    assert "reported it in report" in graph["graphml"]  # the edges' basis travels along

    exported = tipgraph(settings, "export", "--report", world["A"], "--depth", "2",
                        "--format", "graphml")
    assert exported.returncode == 0, exported.stderr
    cli = etree.fromstring(exported.stdout.encode())
    # the CLI's threshold is the default (50): the shared IP is expanded there, so it sees more
    assert {n.get("id") for n in xml.findall(".//g:node", ns)} <= {
        n.get("id") for n in cli.findall(".//g:node", ns)}
    as_json = json.loads(tipgraph(settings, "export", "--report", world["A"], "--format",
                                  "json").stdout)
    assert {n["id"] for n in as_json["nodes"]} >= {world["A"], world["x@example.com"]}

    async def exports(tx: Any) -> list[dict[str, Any]]:
        rows = await run(tx, "MATCH (e:AuditEvent {operation: 'tipgraph export'})"
                             " RETURN e.subject AS subject, e.reportIds AS reports")
        return [dict(r) for r in rows]

    audited = await db.read(exports)
    assert len(audited) == 2
    assert all(e["subject"].startswith("cli:") for e in audited)
    assert int(world["A"]) in audited[0]["reports"]
    refused = tipgraph(settings, "export", "--report", "nope")
    assert refused.returncode == 1
    assert "Traceback" not in refused.stderr


async def test_kinds_and_time_window_narrow_the_walk(links_api: Api, world: dict[str, str],
                                                     tokens: Tokens) -> None:
    query = ("query($id: ID!, $kinds: [IdentifierKind!], $since: DateTime, $until: DateTime) {"
             " neighborhood(id: $id, depth: 2, kinds: $kinds, since: $since, until: $until,"
             " includeCommon: true) { nodes { id type } } }")
    analyst = tokens.mint(Role.ANALYST)
    only_ips = await links_api.gql(query, {"id": world["A"], "kinds": ["IP_ADDRESS"]},
                                   token=analyst)
    ids = {n["id"] for n in only_ips["data"]["neighborhood"]["nodes"]}
    assert world["x@example.com"] not in ids
    assert {world["192.0.2.1"], world["E1"]} <= ids
    later = await links_api.gql(query, {"id": world["A"], "since": "2999-01-01T00:00:00Z"},
                                token=analyst)
    reports = {n["id"] for n in later["data"]["neighborhood"]["nodes"] if n["type"] == "Report"}
    assert reports == {world["A"]}  # the start, and no report submitted after the window opens
    earlier = await links_api.gql(query, {"id": world["A"], "until": "2000-01-01T00:00:00Z"},
                                  token=analyst)
    assert {n["id"] for n in earlier["data"]["neighborhood"]["nodes"]
            if n["type"] == "Report"} == {world["A"]}


async def test_every_shortest_path_comes_once_and_a_capped_search_says_truncated(
        links_api: Api, db: Database, tokens: Tokens) -> None:
    """P and R are four hops apart two ways (through Q1 and through Q2, each also linked to P
    twice over: an e-mail and a screen name on one person are two mentions, one edge each)."""
    await register_reporter(db, "example-esp", "Example ESP")
    esp = tokens.esp("example-esp")
    ids: dict[str, str] = {}
    for name, document in {
            "P": person(emails=[{"address": "e1@example.com"}, {"address": "e2@example.com"}]),
            "Q1": person(emails=[{"address": "e1@example.com"}], screenName="f"),
            "Q2": person(emails=[{"address": "e2@example.com"}], screenName="f"),
            "R": person(screenName="f"),
            **{f"H{i}": person(emails=[{"address": "e1@example.com"}]) for i in range(2)}}.items():
        body = await links_api.gql(SUBMIT_REPORT, {"input": document}, token=esp)
        ids[name] = body["data"]["submitReport"]["id"]
    analyst = tokens.mint(Role.ANALYST)
    query = ("query($a: ID!, $b: ID!) { paths(fromId: $a, toId: $b, maxHops: 6, first: 10,"
             " includeCommon: true) {" + SUBGRAPH + " } }")
    found = (await links_api.gql(query, {"a": ids["P"], "b": ids["R"]}, token=analyst))[
        "data"]["paths"]
    reports = sorted(sorted(n["id"] for n in p["nodes"] if n["type"] == "Report")
                     for p in found)
    assert reports == sorted(sorted([ids["P"], ids[q], ids["R"]]) for q in ("Q1", "Q2"))
    assert all(len(p["edges"]) == 4 and len(p["nodes"]) == 5 for p in found)
    assert not any(p["truncated"] for p in found)
    # the same, from the other end: the same two paths
    back = (await links_api.gql(query, {"a": ids["R"], "b": ids["P"]}, token=analyst))[
        "data"]["paths"]
    assert sorted(sorted(labels(p)) for p in back) == sorted(sorted(labels(p)) for p in found)

    # a search capped at two reports per level (e1 is mentioned by four) answers what it
    # found, marked truncated
    from graph.links.walks import Walk, paths
    walk = Walk(rows=EVERY_REPORT, threshold=50, include_common=True)
    capped = await paths(db, ids["P"], ids["R"], walk, max_hops=6, first=10, cap=2)
    assert capped
    assert all(graph.truncated for graph in capped)
    assert len({tuple(sorted(graph.nodes)) for graph in capped}) == len(capped)


EXPORT = ("query($ids: [ID!]!, $format: ExportFormat!) {"
          " exportGraph(nodeIds: $ids, format: $format) {"
          " format fileName mediaType content nodes edges } }")


async def test_an_export_reads_the_screen_again_under_the_row_rule_and_is_audited(
        links_api: Api, world: dict[str, str], tokens: Tokens, db: Database) -> None:
    on_screen = [world[k] for k in ("A", "B", "x@example.com", "s1", "192.0.2.1")]
    analyst = await links_api.gql(EXPORT, {"ids": on_screen, "format": "GRAPHML"},
                                  token=tokens.mint(Role.ANALYST, subject="an-9"))
    export = analyst["data"]["exportGraph"]
    assert (export["nodes"], export["edges"]) == (5, 4)  # A-x, B-x, B-s1, A-ip
    graphml = etree.fromstring(export["content"].encode())
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    assert {n.get("id") for n in graphml.iterfind(".//g:node", ns)} == set(on_screen)
    assert export["mediaType"] == "application/graphml+xml"

    # the agency was not referred B: B and its links are not in its export (s1 is, as C,
    # which it was referred, names it)
    officer = await links_api.gql(EXPORT, {"ids": on_screen, "format": "JSON"},
                                  token=tokens.mint(Role.LE, agency_id="agency-1"))
    view = json.loads(officer["data"]["exportGraph"]["content"])
    assert {n["id"] for n in view["nodes"]} == {world["A"], world["x@example.com"],
                                                world["192.0.2.1"], world["s1"]}
    assert {e["source"] for e in view["edges"]} == {world["A"]}
    email = next(n for n in view["nodes"] if n["id"] == world["x@example.com"])
    assert email["properties"]["reportCount"] == 1  # B is not counted

    png = await links_api.gql(EXPORT, {"ids": on_screen, "format": "PNG"},
                              token=tokens.mint(Role.ANALYST, subject="an-9"))
    assert png["data"]["exportGraph"]["content"] is None

    async def events(tx: Any) -> list[list[int]]:
        rows = await run(tx, "MATCH (e:AuditEvent {subject: 'an-9'}) RETURN e.reportIds AS r"
                             " ORDER BY e.seq")
        return [sorted(row["r"]) for row in rows]

    assert await db.read(events) == [sorted([int(world["A"]), int(world["B"])])] * 2
    too_many = await links_api.gql(EXPORT, {"ids": ["1"] * 1001, "format": "JSON"},
                                   token=tokens.mint(Role.ANALYST))
    assert too_many["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    bad = await links_api.gql(EXPORT, {"ids": ["<script>"], "format": "JSON"},
                              token=tokens.mint(Role.ANALYST))
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


SAVE = ("mutation($name: String!, $view: JSON!) { saveView(name: $name, view: $view)"
        " { name view createdAt savedAt } }")
VIEWS = "{ savedViews { name view } }"


async def test_saved_views_are_each_owners_own(links_api: Api, world: dict[str, str],
                                               tokens: Tokens) -> None:
    mine = tokens.mint(Role.ANALYST, subject="an-1")
    theirs = tokens.mint(Role.ANALYST, subject="an-2")
    view = {"nodes": [{"id": world["A"], "x": 10, "y": 20}], "expanded": [world["A"]]}
    saved = await links_api.gql(SAVE, {"name": "case 12", "view": view}, token=mine)
    assert saved["data"]["saveView"]["view"] == view
    again = await links_api.gql(SAVE, {"name": "case 12", "view": {**view, "expanded": []}},
                                token=mine)
    assert again["data"]["saveView"]["createdAt"] == saved["data"]["saveView"]["createdAt"]
    assert (await links_api.gql(VIEWS, token=mine))["data"]["savedViews"] == [
        {"name": "case 12", "view": {**view, "expanded": []}}]
    # another analyst neither sees it nor deletes it, and an ESP has no views at all
    assert (await links_api.gql(VIEWS, token=theirs))["data"]["savedViews"] == []
    delete = "mutation($name: String!) { deleteView(name: $name) }"
    assert (await links_api.gql(delete, {"name": "case 12"}, token=theirs))["data"] == {
        "deleteView": False}
    refused = await links_api.gql(VIEWS, token=tokens.esp("example-esp"))
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    for name, body in (("", view), ("x" * 101, view), ("ok", [1, 2]),
                       ("ok", {"blob": "y" * 70_000})):
        wrong = await links_api.gql(SAVE, {"name": name, "view": body}, token=mine)
        assert wrong["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", name
    assert (await links_api.gql(delete, {"name": "case 12"}, token=mine))["data"] == {
        "deleteView": True}
    assert (await links_api.gql(VIEWS, token=mine))["data"]["savedViews"] == []


async def test_a_withheld_field_names_the_scope_it_needs(
        links_api: Api, world: dict[str, str], tokens: Tokens) -> None:
    officer = tokens.mint(Role.LE, agency_id="agency-1", scope="report:read links:explore")
    body = await links_api.gql("query($id: ID!) { report(id: $id) { id files { id }"
                               " reportedPeople { firstName } } }", {"id": world["A"]},
                               token=officer)
    withheld = {tuple(str(p) for p in e["path"]): e["extensions"] for e in body["errors"]}
    assert withheld[("report", "files")] == {"code": "FORBIDDEN", "scope": "files:read"}
    assert withheld[("report", "reportedPeople", "0", "firstName")] == {
        "code": "FORBIDDEN", "scope": "pii:read"}
