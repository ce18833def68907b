"""Retention: content purged after preserveUntil unless on legal hold; metadata stays."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from api.settings import Settings
from authz.roles import Role
from graph.core.db import Database, run
from graph.reports.blobs import ContentStore, load_content_key
from tests.conftest import Api, Tokens
from tests.cybertipline import synthetic_bytes
from tests.documents import SUBMIT_REPORT, example_input
from tests.helpers import tipgraph

HOLD = ('mutation($id: ID!) { placeLegalHold(reportId: $id, reason: "warrant pending") '
        "{ legalHold } }")
RELEASE = ('mutation($id: ID!) { releaseLegalHold(reportId: $id, reason: "case closed") '
           "{ legalHold } }")
STATE = """
query($id: ID!) { report(id: $id) { contentPurgedAt legalHold
  files { hashes { value } classifications { label source } }
  history { kind source reason after } } }
"""

# one report's content purged; no blob without a file, no partial upload to sweep
PURGED_ONE = {"reports": 1, "files": 1, "orphanBlobs": 0, "partialUploads": 0}


def content_store(settings: Settings) -> ContentStore:
    return ContentStore(settings.content_dir,
                        load_content_key(settings.content_key, settings.state_dir))


async def three_reports(api: Api, esp: str, db: Database,
                        settings: Settings | None = None) -> list[str]:
    """Three reports, each file with stored content; the first two past their period."""
    ids = []
    for _ in range(3):
        body = await api.gql(SUBMIT_REPORT, {"input": example_input()}, token=esp)
        ids.append(body["data"]["submitReport"]["id"])
    addresses = {}
    if settings is not None:
        store = content_store(settings)
        for report_id in ids:
            blob = store.open_blob(limit=1_000_000)
            blob.write(synthetic_bytes(1000, f"retention-{report_id}"))
            store.keep(blob)
            addresses[int(report_id)] = blob.address

    async def stored_and_due(t: Any) -> None:
        await run(t, "MATCH (r:Report)-[:HAS_FILE]->(f:File)"
                     " SET f.contentRef = coalesce($addresses[toString(r.id)], 'x')",
                  addresses={str(k): v for k, v in addresses.items()})
        await run(t, "MATCH (r:Report) WHERE r.id IN $ids SET r.preserveUntil = $past",
                  ids=[int(i) for i in ids[:2]], past=datetime.now(UTC) - timedelta(days=1))

    await db.write(stored_and_due)
    return ids


async def test_retention_purges_content_but_not_held_reports_or_metadata(
        api: Api, esp: str, db: Database, tokens: Tokens, settings: Settings) -> None:
    # given two reports past their preservation period, one of them on legal hold
    due, held, current = await three_reports(api, esp, db, settings)
    store = content_store(settings)
    analyst = tokens.mint(Role.ANALYST, subject="an-1")
    placed = await api.gql(HOLD, {"id": held}, token=analyst)
    assert placed["data"]["placeLegalHold"]["legalHold"] == "warrant pending"

    async def refs(t: Any) -> dict[int, str]:
        rows = await run(t, "MATCH (r:Report)-[:HAS_FILE]->(f) "
                            "RETURN r.id AS r, f.contentRef AS c")
        return {row["r"]: row["c"] for row in rows}

    # when retention runs
    before = await db.read(refs)
    result = tipgraph(settings, "retention", "run")
    # then only the due, unheld report's content is purged, and the purge is recorded
    assert json.loads(result.stdout) == {"purged": PURGED_ONE, "eventsPruned": 0}
    purged = (await api.gql(STATE, {"id": due}, token=analyst))["data"]["report"]
    assert purged["contentPurgedAt"]
    assert purged["files"][0]["hashes"]  # metadata stays
    assert purged["files"][0]["classifications"][0]["source"] == "ESP"
    assert purged["history"][-1] == {"kind": "PURGE", "source": "AUTOMATED",
                                     "reason": "preservation period ended", "after": None}

    contents = await db.read(refs)
    assert contents[int(due)] is None
    assert contents[int(held)] is not None
    assert contents[int(current)] is not None
    # the due report's bytes are gone from the store; the others' are still there
    assert not store.exists(before[int(due)])
    assert store.exists(before[int(held)])
    assert store.exists(before[int(current)])
    assert store.read(before[int(held)]) == synthetic_bytes(1000, f"retention-{held}")
    # and once the hold is released, the next run purges that one too
    await api.gql(RELEASE, {"id": held}, token=analyst)
    again = tipgraph(settings, "retention", "run")
    assert json.loads(again.stdout) == {"purged": PURGED_ONE, "eventsPruned": 0}
    history = (await api.gql(STATE, {"id": held}, token=analyst))["data"]["report"]["history"]
    assert [h["after"] for h in history if h["kind"] == "LEGAL_HOLD"] == ["HELD", "RELEASED"]


async def test_legal_holds_refuse_what_makes_no_sense(api: Api, esp: str, db: Database,
                                                      tokens: Tokens) -> None:
    report_id = (await three_reports(api, esp, db))[2]
    analyst = tokens.mint(Role.ANALYST)
    await api.gql(HOLD, {"id": report_id}, token=analyst)
    twice = await api.gql(HOLD, {"id": report_id}, token=analyst)
    assert twice["errors"][0]["extensions"]["code"] == "CONFLICT"
    await api.gql(RELEASE, {"id": report_id}, token=analyst)
    not_held = await api.gql(RELEASE, {"id": report_id}, token=analyst)
    assert not_held["errors"][0]["extensions"]["code"] == "CONFLICT"
    by_officer = await api.gql(HOLD, {"id": report_id},
                               token=tokens.mint(Role.LE, agency_id="agency-1"))
    assert by_officer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
