"""Outcome feedback: only the agency a report was referred to says what became of it; analysts
see every outcome with its history, filter the queue by it, and the public counts include it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from authz.roles import Role
from graph.core.db import Database
from graph.core.visibility import EVERY_REPORT, RowScope
from graph.referrals.agencies import refer_report
from graph.referrals.outcomes import record_outcome
from tests.conftest import Api, Tokens
from tests.helpers import intake as make_intake
from tests.world import build_world, document

RECORD = """
mutation Outcome($id: ID!, $outcome: ReferralOutcome!, $note: String) {
  recordReferralOutcome(reportId: $id, outcome: $outcome, note: $note) {
    agency { id } reason latestOutcome outcomes { outcome note at by }
  }
}
"""

REFERRALS = """
query Referrals($id: ID!) {
  report(id: $id) {
    referrals { agency { id } reason latestOutcome outcomes { outcome note by } }
    history { kind by after reason }
  }
}
"""

QUEUE = """
query Queue($filter: ReportFilter) { reports(filter: $filter, first: 50) {
  totalCount edges { node { id } } } }
"""


def code(body: dict[str, Any]) -> str:
    return str(body["errors"][0]["extensions"]["code"])


async def test_the_referred_agency_records_outcomes_and_analysts_see_their_history(
        api: Api, db: Database, tokens: Tokens) -> None:
    world = await build_world(db)
    report = world.reports["A2"]  # referred to agency-1
    officer = tokens.mint(Role.LE, agency_id="agency-1", subject="det-1")
    # when the agency records two outcomes (and retries the second)
    first = await api.gql(RECORD, {"id": report, "outcome": "RECEIVED"}, token=officer)
    assert "errors" not in first, first
    for _ in range(2):
        second = await api.gql(RECORD, {"id": report, "outcome": "INVESTIGATION_OPENED",
                                        "note": "case 26-114"}, token=officer)
    # then the referral holds both, oldest first, with who and the note; the retry added none
    referral = second["data"]["recordReferralOutcome"]
    assert referral["agency"] == {"id": "agency-1"}
    assert referral["latestOutcome"] == "INVESTIGATION_OPENED"
    assert [(o["outcome"], o["note"], o["by"]) for o in referral["outcomes"]] == [
        ("RECEIVED", None, "det-1"), ("INVESTIGATION_OPENED", "case 26-114", "det-1")]
    # and an analyst sees it on the report, with the history
    body = await api.gql(REFERRALS, {"id": report}, token=tokens.mint(Role.ANALYST))
    [seen] = body["data"]["report"]["referrals"]
    assert [o["outcome"] for o in seen["outcomes"]] == ["RECEIVED", "INVESTIGATION_OPENED"]
    outcomes = [h for h in body["data"]["report"]["history"] if h["kind"] == "OUTCOME"]
    assert [(h["after"], h["by"], h["reason"]) for h in outcomes] == [
        ("RECEIVED", "det-1", None), ("INVESTIGATION_OPENED", "det-1", "case 26-114")]


async def test_an_outcome_from_an_agency_the_report_was_not_referred_to_is_refused(
        api: Api, db: Database, tokens: Tokens) -> None:
    world = await build_world(db)
    report = world.reports["A2"]  # referred to agency-1 only
    cases = [
        # agency-2 cannot see the report at all: it does not exist for it
        (tokens.mint(Role.LE, agency_id="agency-2"), "NOT_FOUND"),
        # agency-all sees every referred report, but this one was not referred to it
        (tokens.mint(Role.LE, agency_id="agency-all"), "FORBIDDEN"),
        # analysts, ESPs and auditors do not speak for an agency
        (tokens.mint(Role.ANALYST), "FORBIDDEN"),
        (tokens.esp("esp-a"), "FORBIDDEN"),
        (tokens.mint(Role.AUDITOR), "FORBIDDEN"),
        # an agency token without report:read
        (tokens.mint(Role.LE, agency_id="agency-1", scope="files:read"), "FORBIDDEN"),
        (None, "UNAUTHENTICATED"),
    ]
    for token, expected in cases:
        body = await api.gql(RECORD, {"id": report, "outcome": "ARREST"}, token=token)
        assert code(body) == expected, (expected, body)
    # and nothing was written
    body = await api.gql(REFERRALS, {"id": report}, token=tokens.mint(Role.ANALYST))
    assert body["data"]["report"]["referrals"][0]["outcomes"] == []


async def test_bad_outcome_input_has_codes(api: Api, db: Database, tokens: Tokens) -> None:
    world = await build_world(db)
    officer = tokens.mint(Role.LE, agency_id="agency-1")
    report = world.reports["A2"]
    cases: list[tuple[dict[str, Any], str]] = [
             ({"id": "12a", "outcome": "ARREST"}, "BAD_USER_INPUT"),
             ({"id": report, "outcome": "CONVICTED"}, "BAD_USER_INPUT"),
             ({"id": report, "outcome": "ARREST", "note": "x" * 3001}, "BAD_USER_INPUT"),
             ({"id": 987654321, "outcome": "ARREST"}, "NOT_FOUND")]
    for variables, expected in cases:
        assert code(await api.gql(RECORD, variables, token=officer)) == expected, variables


async def test_an_agency_sees_only_its_own_referral_and_outcomes(
        api: Api, db: Database, tokens: Tokens) -> None:
    world = await build_world(db)
    report = world.reports["B1"]  # referred to agency-2; also refer it to agency-1
    await refer_report(db, report, "agency-1", by="analyst-1", reason="also CA",
                       rows=EVERY_REPORT)
    await record_outcome(db, report, "agency-2", "ARREST", note="n2", by="det-2",
                         rows=RowScope(agency_id="agency-2"))
    body = await api.gql(REFERRALS, {"id": report},
                         token=tokens.mint(Role.LE, agency_id="agency-1"))
    [own] = body["data"]["report"]["referrals"]
    assert (own["agency"], own["outcomes"]) == ({"id": "agency-1"}, [])
    history = body["data"]["report"]["history"]
    assert [h["after"] for h in history if h["kind"] == "REFERRAL"] == ["agency-1"]
    assert [h for h in history if h["kind"] == "OUTCOME"] == []


async def test_the_queue_filters_by_outcome(api: Api, db: Database, tokens: Tokens) -> None:
    world = await build_world(db)
    await record_outcome(db, world.reports["A2"], "agency-1", "ARREST", note=None, by="det-1",
                         rows=RowScope(agency_id="agency-1"))
    analyst = tokens.mint(Role.ANALYST)

    async def ids(filter_: dict[str, Any], token: str = analyst) -> set[int]:
        body = await api.gql(QUEUE, {"filter": filter_}, token=token)
        assert "errors" not in body, body
        return {int(e["node"]["id"]) for e in body["data"]["reports"]["edges"]}

    assert await ids({"outcomes": ["ARREST"]}) == world.ids("A2")
    assert await ids({"outcomes": ["DUPLICATE"]}) == set()
    assert await ids({"awaitingOutcome": True}) == world.ids("B1")
    assert await ids({"awaitingOutcome": False}) == world.ids("A2")
    # an agency filters on its own referrals only (agency-all was not referred A2)
    everything = tokens.mint(Role.LE, agency_id="agency-all")
    assert await ids({"outcomes": ["ARREST"]}, everything) == set()


async def test_statistics_count_outcomes_protected_like_every_cell(
        api: Api, db: Database, tokens: Tokens) -> None:
    # given this year's referrals: 11 arrests, 10 received, 1 duplicate, and the world's two
    # referrals with no outcome yet (AWAITING)
    await build_world(db)
    intake = make_intake(db)
    agency = RowScope(agency_id="agency-1")
    outcomes = ["ARREST"] * 11 + ["RECEIVED"] * 10 + ["DUPLICATE"]
    for index, outcome in enumerate(outcomes):
        report = (await intake.submit_report("esp-a", document(f"S{index}")))["id"]
        await refer_report(db, report, "agency-1", by="analyst-1", reason="r",
                           rows=EVERY_REPORT)
        await record_outcome(db, report, "agency-1", outcome, note=None, by="det-1",
                             rows=agency)
    # when anyone reads the published counts
    body = await api.gql("""query($year: Int!) { statistics(year: $year, by: [DISPOSITION]) {
        referralOutcomes { total cells { outcome count suppressed } } } }""",
                         {"year": datetime.now(UTC).year})
    table = body["data"]["statistics"]["referralOutcomes"]
    cells = {c["outcome"]: (c["count"], c["suppressed"]) for c in table["cells"]}
    # then each count is the truth off by at most min(D, n) = min(3, n) (graph.statistics.cells),
    # a count under 10 is suppressed, and one perturbed to zero is not listed
    assert abs(table["total"] - 24) <= 3 + 3 + 1 + 2
    for outcome, true in (("ARREST", 11), ("RECEIVED", 10), ("DUPLICATE", 1), ("AWAITING", 2)):
        count, suppressed = cells.get(outcome, (None, True))
        assert suppressed == (count is None)
        assert count is None or (count >= 10 and abs(count - true) <= 3), outcome
    assert cells.get("DUPLICATE", (None, True)) == (None, True)  # 1 is at most 2: always hidden
    assert cells.get("AWAITING", (None, True)) == (None, True)
