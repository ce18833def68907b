"""`tipgraph seed demo`: runs once, and its reports share identifiers as real ones do."""

from __future__ import annotations

from typing import Any

from api.settings import Settings, identifier_ids
from graph.core.db import Database, run
from graph.demo.seed import seed_demo


async def test_the_demo_seeds_once_with_shared_identifiers(db: Database,
                                                           settings: Settings) -> None:
    # when the demo is seeded twice
    first = await seed_demo(db, settings.intake, identifier_ids(settings), reports=60)
    second = await seed_demo(db, settings.intake, identifier_ids(settings), reports=60)
    # then the second run does nothing
    assert first["seeded"] is True
    assert second == {"seeded": False, "reason": "demo data is already loaded"}

    async def facts(t: Any) -> dict[str, Any]:
        rows = await run(t, """
            MATCH (r:Report) WITH count(r) AS reports
            MATCH (j:Jurisdiction) WITH reports, count(j) AS jurisdictions
            MATCH (:Jurisdiction {code: 'US-CA'})-[:PART_OF]->(:Jurisdiction {code: 'US'})
            CALL () {
              MATCH (i:Identifier)<-[:MENTIONS]-(r:Report)
              WITH i, count(DISTINCT r) AS n RETURN max(n) AS busiest,
                   sum(CASE WHEN n > 1 THEN 1 ELSE 0 END) AS shared
            }
            RETURN reports, jurisdictions, busiest, shared""")
        return dict(rows[0])

    seen = await db.read(facts)
    # every report arrived, with every country and US state, and identifiers are shared
    assert seen["reports"] == 60
    assert seen["jurisdictions"] > 250
    assert seen["shared"] > 10
    assert seen["busiest"] >= 5  # a supernode (the CGNAT address or a popular account)
    # and the analyst's story is told: triaged, referred, with provenance on every step
    assert first["triaged"] == 40
    assert first["referred"] > 0

    async def story(t: Any) -> dict[str, Any]:
        rows = await run(t, """
            MATCH (r:Report)-[ref:REFERRED_TO]->(:Agency)
            WITH count(ref) AS referrals, collect(DISTINCT ref.by) AS by
            MATCH (:Classification {source: 'ANALYST'})
            RETURN referrals, by, count(*) AS analyst_labels""")
        return dict(rows[0])

    told = await db.read(story)
    assert told["referrals"] == first["referred"]
    assert told["by"] == ["demo-analyst"]
    assert told["analyst_labels"] > 0
