"""The agency queue: an agency's reports ranked by weighted signals, each explained; the weights
are the agency's own (set by an admin); every signal is counted under the agency's row rule, so
reports it may not see change nothing."""

from __future__ import annotations

from typing import Any

from authz.roles import Role
from graph.core.db import Database
from graph.matching.hashlists import import_list, list_version, read_csv
from graph.referrals.agencies import AgencyKind, AgencySpec, upsert_agency
from tests.conftest import Api, Tokens
from tests.documents import SUBMIT_REPORT, example_input
from tests.helpers import enrich_all

QUEUE = """query($first: Int!) { agencyQueue(first: $first) { totalCount
  weights { name weight }
  items { rank score report { id } signals { name weight value explanation } } } }"""
WEIGHTS = """mutation($agency: ID!, $weights: [SignalWeightInput!]!) {
  setAgencySignalWeights(agencyId: $agency, weights: $weights) { name weight } }"""
LISTED_MD5 = "9e107d9d372bb6826bd81d3542a419d6"  # the example input's file


def stranger(index: int) -> dict[str, Any]:
    """A report sharing no identifier with the example input's."""
    return example_input(
        reportedPeople=[{"screenName": f"stranger_{index}", "espService": "ExampleChat",
                         "espIdentifier": f"s-{index}"}],
        files=[{**example_input()["files"][0],
                "hashes": [{"algorithm": "MD5", "value": f"{index:032x}"}]}])


async def submit(api: Api, token: str, document: dict[str, Any]) -> str:
    body = await api.gql(SUBMIT_REPORT, {"input": document}, token=token)
    assert "errors" not in body, body
    report_id: str = body["data"]["submitReport"]["id"]
    return report_id


async def refer(api: Api, analyst: str, report_id: str) -> None:
    body = await api.gql('mutation($id: ID!) { referReport(reportId: $id, agencyId: '
                         '"agency-1", reason: "r") { id } }', {"id": report_id}, token=analyst)
    assert "errors" not in body, body


async def ask(api: Api, token: str) -> dict[str, Any]:
    body = await api.gql(QUEUE, {"first": 10}, token=token)
    assert "errors" not in body, body
    queue: dict[str, Any] = body["data"]["agencyQueue"]
    return queue


def signal(item: dict[str, Any], name: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [s for s in item["signals"] if s["name"] == name]
    assert len(found) == 1
    return found[0]


async def test_the_queue_ranks_and_explains_under_the_row_rule(
        api: Api, esp: str, db: Database, tokens: Tokens) -> None:
    await upsert_agency(db, AgencySpec("agency-1", "Agency One", AgencyKind.STATE, ("US-CA",)))
    await import_list(db, list_version("known", "1", "Example Hotline", "INDUSTRY"),
                      read_csv(f"MD5,{LISTED_MD5},A1\n"), by="test")
    analyst = tokens.mint(Role.ANALYST)
    grave = await submit(api, esp, example_input(
        escalateToHighPriority="Synthetic: imminent", victims=[{"firstName": "C", "age": 9}]))
    related = await submit(api, esp, stranger(1) | {"reportedPeople": example_input()[
        "reportedPeople"]})
    plain = await submit(api, esp, stranger(2))
    hidden = await submit(api, esp, example_input())  # shares everything; never referred
    for report_id in (grave, related, plain):
        await refer(api, analyst, report_id)
    await enrich_all(db)
    officer = tokens.mint(Role.LE, agency_id="agency-1")
    body = await api.gql('mutation($id: ID!) { recordReferralOutcome(reportId: $id, '
                         'outcome: ARREST) { at } }', {"id": related}, token=officer)
    assert "errors" not in body, body

    queue = await ask(api, officer)
    assert queue["totalCount"] == 3
    assert [i["report"]["id"] for i in queue["items"]] == [grave, related, plain]
    assert [i["rank"] for i in queue["items"]] == [1, 2, 3]
    first = queue["items"][0]
    assert first["score"] == round(sum(s["weight"] * s["value"] for s in first["signals"]), 4)
    assert signal(first, "ESCALATION")["value"] == 1.0
    assert signal(first, "HASH_MATCHES")["explanation"] == "1 match: 1 A1 (INDUSTRY)"
    assert signal(first, "VICTIM_AGE") == {"name": "VICTIM_AGE", "weight": 2.0, "value": 1.0,
                                           "explanation": "the youngest victim is 9"}
    # the hidden report shares its identifiers too, and is not counted
    assert signal(first, "SHARED_IDENTIFIERS")["explanation"] == (
        "shares identifiers with 1 other report you can see")
    assert signal(first, "PAST_OUTCOMES")["explanation"] == (
        "you recorded ARREST on reports sharing its identifiers")
    assert signal(queue["items"][2], "SHARED_IDENTIFIERS")["value"] == 0.0
    assert hidden not in [i["report"]["id"] for i in queue["items"]]

    # more reports it may not see change no byte
    await submit(api, esp, example_input(escalateToHighPriority="Synthetic: other"))
    await enrich_all(db)
    assert await ask(api, officer) == queue

    # an admin sets the agency's weights: recency alone, the newest first
    admin = tokens.mint(Role.ADMIN)
    zeroed = [{"name": n, "weight": 0.0} for n in (
        "ESCALATION", "PRIORITY", "HASH_MATCHES", "VICTIM_AGE", "SHARED_IDENTIFIERS",
        "PAST_OUTCOMES")]
    body = await api.gql(WEIGHTS, {"agency": "agency-1", "weights": zeroed}, token=admin)
    assert "errors" not in body, body
    assert {w["name"]: w["weight"] for w in body["data"]["setAgencySignalWeights"]}[
        "RECENCY"] == 1.0
    reweighted = await ask(api, officer)
    assert [i["report"]["id"] for i in reweighted["items"]] == [plain, related, grave]
    assert {w["name"]: w["weight"] for w in reweighted["weights"]}["ESCALATION"] == 0.0


async def test_weights_are_checked_and_only_admins_set_them(
        api: Api, db: Database, tokens: Tokens) -> None:
    await upsert_agency(db, AgencySpec("agency-1", "Agency One", AgencyKind.STATE, ("US-CA",)))
    admin = tokens.mint(Role.ADMIN)
    for token, weights, code in (
            (tokens.mint(Role.LE, agency_id="agency-1"), [{"name": "RECENCY", "weight": 2}],
             "FORBIDDEN"),
            (admin, [{"name": "LUCK", "weight": 1}], "BAD_USER_INPUT"),
            (admin, [{"name": "RECENCY", "weight": -1}], "BAD_USER_INPUT"),
            (admin, [{"name": "RECENCY", "weight": 101}], "BAD_USER_INPUT")):
        body = await api.gql(WEIGHTS, {"agency": "agency-1", "weights": weights}, token=token)
        assert body["errors"][0]["extensions"]["code"] == code, body
    missing = await api.gql(WEIGHTS, {"agency": "agency-9", "weights": []}, token=admin)
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    analyst = await api.gql(QUEUE, {"first": 1}, token=tokens.mint(Role.ANALYST))
    assert analyst["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    unchanged = await ask(api, tokens.mint(Role.LE, agency_id="agency-1"))
    assert unchanged == {"totalCount": 0, "items": [], "weights": [
        {"name": n, "weight": w} for n, w in (
            ("ESCALATION", 3.0), ("PRIORITY", 2.0), ("HASH_MATCHES", 3.0),
            ("VICTIM_AGE", 2.0), ("RECENCY", 1.0), ("SHARED_IDENTIFIERS", 1.5),
            ("PAST_OUTCOMES", 1.0))]}
