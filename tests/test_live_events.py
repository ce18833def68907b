"""Live updates over graphql-transport-ws, against `tipgraph serve` and the real Neo4j.

An agency hears of referrals to it within seconds, and of nothing else; analysts hear of
submissions, escalations and outcome feedback; a subscriber that reconnects with its last
cursor gets what it missed, once.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
import websockets

from authz.roles import Role
from bench.harness import live_subscriptions
from graph.core.db import Database, run
from graph.core.revocations import revoke
from graph.core.visibility import EVERY_REPORT
from graph.events import log as events
from graph.referrals.agencies import refer_report
from tests.conftest import Tokens
from tests.world import World, build_world
from tests.ws import PROTOCOL, connect, open_socket, ready, subscribe

REFERRALS = """
subscription Referrals($after: String) {
  referralEvents(after: $after) { cursor at reportId reason by agency { id }
                                  report { id status incidentType } }
}
"""

REPORT_EVENTS = """
subscription Work($filter: ReportEventFilter, $after: String) {
  reportEvents(filter: $filter, after: $after) {
    cursor type reportId source by priority outcome reason agency { id } report { id }
  }
}
"""

REFER = """
mutation Refer($id: ID!, $agency: ID!) {
  referReport(reportId: $id, agencyId: $agency, reason: "geolocated to the agency's area") { id }
}
"""

RECORD_OUTCOME = """
mutation Outcome($id: ID!, $outcome: ReferralOutcome!, $note: String) {
  recordReferralOutcome(reportId: $id, outcome: $outcome, note: $note) {
    latestOutcome outcomes { outcome note by }
  }
}
"""


@pytest.fixture
async def quiet(served: str) -> None:
    """No subscription left from an earlier test (its hub would still read and number the
    log while the next test cleans the graph)."""
    deadline = time.monotonic() + 10
    while await live_subscriptions(served):
        assert time.monotonic() < deadline, "subscriptions from an earlier test linger"
        await asyncio.sleep(0.05)


@pytest.fixture
async def world(quiet: None, db: Database) -> World:
    """The authorization world (the server quiet first, then the graph cleaned)."""
    return await build_world(db)


async def gql(url: str, query: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{url}/graphql", json={
            "query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"})
    body: dict[str, Any] = response.json()
    return body


async def test_an_agency_hears_of_a_referral_within_two_seconds_and_another_agency_hears_nothing(
        served: str, world: World, tokens: Tokens) -> None:
    # given investigators of agency-1 and agency-2 subscribed
    officer_1 = tokens.mint(Role.LE, agency_id="agency-1", subject="det-1")
    officer_2 = tokens.mint(Role.LE, agency_id="agency-2", subject="det-2")
    async with subscribe(served, officer_1, REFERRALS) as one, \
            subscribe(served, officer_2, REFERRALS) as two:
        await ready(served, 2)
        # when an analyst refers B2 to agency-1
        started = time.monotonic()
        body = await gql(served, REFER, {"id": world.reports["B2"], "agency": "agency-1"},
                         tokens.mint(Role.ANALYST, subject="analyst-9"))
        assert "errors" not in body, body
        # then agency-1 hears of it within 2 s, with the report as its token may read it
        event = (await one.data(within=2.0))["referralEvents"]
        assert time.monotonic() - started < 2.0
        assert event["reportId"] == str(world.reports["B2"])
        assert event["agency"] == {"id": "agency-1"}
        assert event["by"] == "analyst-9"
        assert event["reason"] == "geolocated to the agency's area"
        assert event["report"] == {"id": str(world.reports["B2"]), "status": "SUBMITTED",
                                   "incidentType": "CHILD_PORNOGRAPHY"}
        assert event["cursor"].isdigit()
        # and agency-2 hears nothing
        await two.nothing(seconds=1.0)


async def test_a_reconnecting_subscriber_resumes_from_its_cursor(
        served: str, db: Database, world: World, tokens: Tokens) -> None:
    officer = tokens.mint(Role.LE, agency_id="agency-2", subject="det-2")
    # given a subscriber that received one referral and went away
    async with subscribe(served, officer, REFERRALS) as first:
        await ready(served)
        await refer_report(db, world.reports["A2"], "agency-2", by="analyst-1", reason="one",
                           rows=EVERY_REPORT)
        cursor = (await first.data())["referralEvents"]["cursor"]
    # when two more referrals (and one to another agency) happen while it is away
    await refer_report(db, world.reports["B2"], "agency-2", by="analyst-1", reason="two",
                       rows=EVERY_REPORT)
    await refer_report(db, world.reports["B2"], "agency-1", by="analyst-1", reason="other",
                       rows=EVERY_REPORT)
    await refer_report(db, world.reports["B1"], "agency-all", by="analyst-1", reason="x",
                       rows=EVERY_REPORT)
    # then reconnecting after its cursor replays exactly what it missed, in order, once
    async with subscribe(served, officer, REFERRALS, {"after": cursor}) as again:
        missed = (await again.data())["referralEvents"]
        assert (missed["reportId"], missed["reason"]) == (str(world.reports["B2"]), "two")
        assert int(missed["cursor"]) > int(cursor)
        # ... and carries on live
        await ready(served)
        await refer_report(db, world.reports["A2"], "agency-all", by="analyst-1",
                           reason="unrelated", rows=EVERY_REPORT)
        await again.nothing(seconds=0.8)


async def test_analysts_hear_of_submissions_escalations_and_outcomes(
        served: str, db: Database, world: World, tokens: Tokens) -> None:
    analyst = tokens.mint(Role.ANALYST, subject="analyst-3")
    officer = tokens.mint(Role.LE, agency_id="agency-1", subject="det-1")
    async with subscribe(served, analyst, REPORT_EVENTS) as work, \
            subscribe(served, analyst, REPORT_EVENTS,
                      {"filter": {"types": ["OUTCOME_RECORDED"]}}) as outcomes_only:
        await ready(served, 2)
        # when an ESP submits an escalated report
        esp = tokens.esp("esp-a")
        body = await gql(served, """
            mutation { submitReport(input: {incidentType: ONLINE_ENTICEMENT,
              incidentDateTime: "2026-11-01T10:00:00Z",
              escalateToHighPriority: "meeting planned tonight"}) { id } }""", {}, esp)
        assert "errors" not in body, body
        new_id = body["data"]["submitReport"]["id"]
        submitted = (await work.data())["reportEvents"]
        escalated = (await work.data())["reportEvents"]
        assert (submitted["type"], submitted["reportId"], submitted["source"]) == (
            "SUBMITTED", new_id, "ESP")
        assert (escalated["type"], escalated["priority"], escalated["reason"]) == (
            "ESCALATED", "P1", "meeting planned tonight")
        # and agency-1 records an outcome on its referral
        body = await gql(served, RECORD_OUTCOME, {"id": world.reports["A2"],
                                                  "outcome": "ARREST", "note": "charged"},
                         officer)
        assert "errors" not in body, body
        for subscription in (work, outcomes_only):
            event = (await subscription.data())["reportEvents"]
            assert (event["type"], event["outcome"], event["agency"], event["by"]) == (
                "OUTCOME_RECORDED", "ARREST", {"id": "agency-1"}, "det-1")
        await outcomes_only.nothing(seconds=0.5)


async def test_deliveries_are_in_the_audit_trail(served: str, db: Database, world: World,
                                                 tokens: Tokens) -> None:
    officer = tokens.mint(Role.LE, agency_id="agency-2", subject="det-audit")
    async with subscribe(served, officer, REFERRALS) as subscription:
        await ready(served)
        await refer_report(db, world.reports["A2"], "agency-2", by="analyst-1", reason="r",
                           rows=EVERY_REPORT)
        event = (await subscription.data())["referralEvents"]
    [record] = await db.read(lambda tx: run(tx, """
        MATCH (e:AuditEvent {subject: 'det-audit', operation: 'referralEvents'})
        RETURN e {.reportIds, .operationType, .agencyId, .detail} AS e"""))
    assert record["e"] == {"reportIds": [world.reports["A2"]], "operationType": "subscription",
                           "agencyId": "agency-2", "detail": f"event {event['cursor']}"}


async def test_refusals_have_codes(served: str, world: World, tokens: Tokens) -> None:
    # no token, or a bad one: the connection is refused (4403)
    for payload in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": 7}):
        async with open_socket(served) as socket:
            await socket.send(json.dumps({"type": "connection_init", "payload": payload}))
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(socket.recv(), 5)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 4403
    # the wrong role, a cursor the API never gave, a cursor ahead of the log: coded errors
    cases = [(tokens.esp("esp-a"), REFERRALS, {}, "FORBIDDEN"),
             (tokens.mint(Role.LE, agency_id="agency-1"), REPORT_EVENTS, {}, "FORBIDDEN"),
             (tokens.mint(Role.LE, agency_id="agency-1"), REFERRALS, {"after": "12x"},
              "BAD_USER_INPUT"),
             (tokens.mint(Role.LE, agency_id="agency-1"), REFERRALS, {"after": "99999999"},
              "BAD_USER_INPUT"),
             (tokens.mint(Role.ANALYST), "subscription { nope }", {}, "BAD_USER_INPUT")]
    for token, query, variables, code in cases:
        async with subscribe(served, token, query, variables) as subscription:
            message = await subscription.next()
            errors = (message["payload"] if message["type"] == "error"
                      else message["payload"]["errors"])
            assert [e["extensions"]["code"] for e in errors] == [code], message
    # the legacy graphql-ws protocol is not spoken (4406, as graphql-transport-ws says)
    async with open_socket(served, "graphql-ws") as socket:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), 5)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4406


async def test_a_subscription_over_plain_http_is_a_coded_refusal(served: str, world: World,
                                                                  tokens: Tokens) -> None:
    body = await gql(served, REFERRALS, {}, tokens.mint(Role.LE, agency_id="agency-1"))
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body


async def test_the_connection_ack_names_the_principal(served: str, world: World,
                                                      tokens: Tokens) -> None:
    async with connect(served, tokens.mint(Role.ANALYST, subject="analyst-5")) as socket:
        assert socket.subprotocol == PROTOCOL


async def test_a_revoked_token_ends_its_subscription(served: str, db: Database, world: World,
                                                     tokens: Tokens) -> None:
    officer = tokens.mint(Role.LE, agency_id="agency-1", subject="det-revoked")
    async with subscribe(served, officer, REFERRALS) as subscription:
        await ready(served)
        # when the token is revoked while the subscription is open
        await revoke(db, jwt.decode(officer, options={"verify_signature": False})["jti"])
        # then the subscription ends with UNAUTHENTICATED (within the recheck interval)
        message = await subscription.next(within=10)
        assert message["type"] == "next", message
        assert [e["extensions"]["code"] for e in message["payload"]["errors"]] == [
            "UNAUTHENTICATED"]
        assert (await subscription.next(within=5))["type"] == "complete"


async def test_a_cursor_from_before_pruned_events_is_refused(served: str, db: Database,
                                                             world: World,
                                                             tokens: Tokens) -> None:
    # given a log whose first events (the world's referrals) are past retention and pruned
    await events.number(db)
    old = await events.head(db)
    await db.write(lambda tx: run(tx, "MATCH (e:Event) SET e.at = datetime() - duration('P1Y')"))
    await refer_report(db, world.reports["B2"], "agency-1", by="analyst-1", reason="kept",
                       rows=EVERY_REPORT)
    assert await events.prune(db, datetime.now(UTC) - timedelta(days=90)) == old
    officer = tokens.mint(Role.LE, agency_id="agency-1")
    # then a cursor before them is refused, and one at the edge still replays what is kept
    async with subscribe(served, officer, REFERRALS, {"after": "1"}) as stale:
        message = await stale.next()
        assert message["payload"]["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    async with subscribe(served, officer, REFERRALS, {"after": str(old)}) as edge:
        assert (await edge.data())["referralEvents"]["reason"] == "kept"
