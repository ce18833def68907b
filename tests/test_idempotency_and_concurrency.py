"""Replays return the original report; concurrent writers never duplicate an identifier."""

from __future__ import annotations

import asyncio
from typing import Any

from graph.core.db import Database, run
from graph.reports.reporters import register_reporter
from tests.conftest import Api, Tokens
from tests.documents import OPEN_REPORT, SUBMIT_REPORT, example_input


async def count(db: Database, query: str) -> int:
    async def tx(t: Any) -> int:
        rows = await run(t, query)
        n: int = rows[0]["n"]
        return n

    return await db.read(tx)


async def test_a_replayed_key_returns_the_original_report(api: Api, esp: str,
                                                          db: Database) -> None:
    first = await api.gql(SUBMIT_REPORT, {"key": "k-1", "input": example_input()}, token=esp)
    again = await api.gql(SUBMIT_REPORT, {"key": "k-1", "input": example_input()}, token=esp)
    assert again["data"]["submitReport"]["id"] == first["data"]["submitReport"]["id"]
    assert await count(db, "MATCH (r:Report) RETURN count(r) AS n") == 1


async def test_a_key_reused_for_a_different_report_conflicts(api: Api, esp: str,
                                                             db: Database) -> None:
    await api.gql(SUBMIT_REPORT, {"key": "k-1", "input": example_input()}, token=esp)
    other = await api.gql(SUBMIT_REPORT, {"key": "k-1", "input": example_input(
        platform="Different")}, token=esp)
    assert other["errors"][0]["extensions"]["code"] == "CONFLICT"
    assert await count(db, "MATCH (r:Report) RETURN count(r) AS n") == 1


async def test_replays_racing_each_other_make_one_report(api: Api, esp: str,
                                                         db: Database) -> None:
    bodies = await asyncio.gather(*[
        api.gql(SUBMIT_REPORT, {"key": "race", "input": example_input()}, token=esp)
        for _ in range(8)])
    ids = {body["data"]["submitReport"]["id"] for body in bodies}
    assert len(ids) == 1
    assert await count(db, "MATCH (r:Report) RETURN count(r) AS n") == 1


async def test_keys_belong_to_one_esp(api: Api, esp: str, tokens: Tokens, db: Database) -> None:
    await register_reporter(db, "other-esp", "Other ESP")
    mine = await api.gql(OPEN_REPORT, {"key": "same", "input": {
        "incidentType": "CHILD_PORNOGRAPHY",
        "incidentDateTime": "2026-11-01T00:00:00Z"}}, token=esp)
    theirs = await api.gql(OPEN_REPORT, {"key": "same", "input": {
        "incidentType": "CHILD_PORNOGRAPHY", "incidentDateTime": "2026-11-01T00:00:00Z"}},
        token=tokens.esp("other-esp"))
    assert mine["data"]["openReport"]["id"] != theirs["data"]["openReport"]["id"]


async def test_20_concurrent_submissions_share_one_node_per_identifier(
        api: Api, esp: str, db: Database) -> None:
    # given 20 reports that all name the same e-mail, phone, IP, account and hash, and each
    # one identifier of its own
    def report(i: int) -> dict[str, Any]:
        document = example_input()
        person = document["reportedPeople"][0]
        person["emails"].append({"address": f"own{i}@example.net"})
        if i % 2:
            person["emails"][0]["address"] = "ALICE@EXAMPLE.COM"
        return document

    # when they are submitted at once
    bodies = await asyncio.gather(*[
        api.gql(SUBMIT_REPORT, {"input": report(i)}, token=esp) for i in range(20)])
    # then every report is there, and each shared value is one node linked from all 20
    assert all("errors" not in body for body in bodies), [b for b in bodies if "errors" in b]
    assert await count(db, "MATCH (r:Report) RETURN count(r) AS n") == 20
    duplicates = await count(db, """
        MATCH (i:Identifier) WITH i.key AS key, count(*) AS copies WHERE copies > 1
        RETURN count(key) AS n""")
    assert duplicates == 0
    # 6 shared identifiers (e-mail, phone, IP, screen name, ESP account, hash) + 20 own e-mails
    assert await count(db, "MATCH (i:Identifier) RETURN count(i) AS n") == 26
    shared = await count(db, """
        MATCH (i:Identifier {kind: 'EMAIL', value: 'alice@example.com'})<-[:MENTIONS]-(r:Report)
        RETURN count(DISTINCT r) AS n""")
    assert shared == 20
