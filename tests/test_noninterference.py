"""Noninterference: what a reader may not see changes no byte of what it sees.

For each principal P: build a world P sees part of, record P's answer to every document of a
corpus generated from the schema (tests/corpus.py), add hidden reports that share every
identifier, hash, bundle and jurisdiction with P's reports (another ESP's; open, cancelled,
expired; submitted earlier; referred to another agency; triaged, labelled and enriched), and
ask again. Every answer must be byte-for-byte the same.

Only values global by nature are exempt, and they are not in the corpus: ids allocated in
blocks (the hidden reports are added after the visible ones, so no visible id moves) and the
public statistics (published aggregates of every submitted report). Within one world, a
referral package's generation time and the signatures over it differ between two identical
asks: the fields named in :data:`tests.corpus_world.VOLATILE` are masked, and the package's
JSON is compared without its ``generatedAt``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pytest

from authz.roles import Role
from graph.core.db import Database, run
from resolvers.schema import build_schema
from tests.conftest import Tokens
from tests.corpus import documents
from tests.corpus_world import (
    CANCEL,
    FIRST,
    OPEN,
    SECOND,
    Client,
    answers,
    build_visible,
    client,
    end_cursors,
    enrich,
    pools,
    submit,
    triage,
)


@dataclass(frozen=True)
class Reader:
    role: Role
    claims: dict[str, str]
    sees_referrals_to_others: bool = False  # a seesAll agency sees every referred report


READERS: Final = {
    "esp": Reader(Role.ESP, {"esp_id": "esp-p"}),
    "le": Reader(Role.LE, {"agency_id": "agency-p"}),
    "le-without-pii": Reader(Role.LE, {"agency_id": "agency-p",
                                       "scope": "report:read files:read links:explore"}),
    "le-sees-all": Reader(Role.LE, {"agency_id": "agency-all"}, sees_referrals_to_others=True),
}


async def add_hidden(c: Client, db: Database, reader: Reader) -> None:
    """Reports the reader may not see, sharing everything with its own, submitted earlier."""
    hidden: list[str] = []
    for document in (FIRST, SECOND, FIRST, SECOND, FIRST):
        report = await submit(c, "esp-h", document)
        hidden.append(report["id"])
        if not reader.sees_referrals_to_others:  # it would see a referred one
            await triage(c, report, "agency-h")
    if reader.role is Role.ESP:  # referred to the reader's own agency's peer: still esp-h's
        report = await submit(c, "esp-h", FIRST)
        await triage(c, report, "agency-p")
        hidden.append(report["id"])
    esp = c.tokens.esp("esp-h")
    for _ in range(2):
        opened = (await c.do(OPEN, {"input": {k: v for k, v in FIRST.items() if k != "files"}},
                             esp))["openReport"]
        hidden.append(opened["id"])
        cancelled = (await c.do(OPEN, {"input": {k: v for k, v in FIRST.items()
                                                 if k != "files"}}, esp))["openReport"]
        await c.do(CANCEL, {"id": cancelled["id"]}, esp)
        hidden.append(cancelled["id"])

    async def backdate_tx(tx: Any) -> None:
        # As if the hidden reports had come first: earlier times, and the identifiers they
        # share first seen with them (an expired one: open past its deadline).
        await run(tx, """
            UNWIND $ids AS id MATCH (r:Report {id: toInteger(id)})
            SET r.openedAt = r.openedAt - duration('P60D'),
                r.modifiedAt = r.modifiedAt - duration('P60D'),
                r.queuedAt = r.queuedAt - duration('P60D'),
                r.finishedAt = r.finishedAt - duration('P60D'),
                r.expiresAt = CASE WHEN r.status = 'OPEN' THEN datetime() - duration('PT1H')
                                   END
            WITH r MATCH (r)-[:MENTIONS]->(i:Identifier)
            SET i.firstSeenAt = r.openedAt""", ids=hidden)

    await db.write(backdate_tx)
    await enrich(db)


def differences(before: Any, after: Any, path: str = "") -> list[str]:
    if isinstance(before, dict) and isinstance(after, dict):
        found = []
        for key in sorted(set(before) | set(after)):
            found.extend(differences(before.get(key), after.get(key), f"{path}.{key}"))
        return found
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [d for i, (b, a) in enumerate(zip(before, after, strict=True))
                for d in differences(b, a, f"{path}[{i}]")]
    return [] if before == after else [f"{path}: {json.dumps(before)[:300]} -> "
                                       f"{json.dumps(after)[:300]}"]


@pytest.mark.parametrize("reader_name", sorted(READERS))
async def test_hidden_reports_change_nothing_a_reader_sees(
        neo4j_uri: str, tmp_path: Path, db: Database, tokens: Tokens,
        reader_name: str) -> None:
    reader = READERS[reader_name]
    async with client(neo4j_uri, tmp_path, tokens) as c:
        # given a world the reader sees part of, and the corpus over it
        visible = await build_visible(c, db)
        token = c.tokens.mint(reader.role, **reader.claims)
        settings = c.tokens.settings
        schema = build_schema(production=False, limits=settings.edge,
                              page_cap=settings.reads.max_page_size, audit=False)._schema
        first = documents(schema, await pools(db, visible, {}))
        pages = [d for d in first if d.name in ("reports#0", "reports#1", "reports#2")]
        cursors = end_cursors(await answers(c, pages, token))
        corpus = documents(schema, await pools(db, visible, {"reports": cursors}))
        before = await answers(c, corpus, token)
        assert any("data" in body and body["data"] and any(body["data"].values())
                   for body in before.values())
        # when reports it may not see join the graph
        await add_hidden(c, db, reader)
        after = await answers(c, corpus, token)
    # then every answer is the same, byte for byte
    changed: dict[str, str] = {}  # the field (indices folded) -> the first document changing it
    for name in before:
        for difference in differences(before[name], after[name]):
            where = re.sub(r"\[\d+\]", "[]", difference.partition(": ")[0])
            changed.setdefault(where, f"{name}: {difference[:400]}")
    assert not changed, "\n".join(f"{where}\n    {example}"
                                   for where, example in sorted(changed.items()))
    assert len(corpus) >= 100
