"""The audited-throughput ceiling: many clients, each request a cheap audited read.

Every operation by an analyst writes a hash-chained audit event before it answers, and every
event takes the one ``:AuditHead`` node. With group commit, operations that arrive while an
append is in flight share the next transaction. Measured in one run: requests per second with
``--clients`` concurrent clients (in-process over ASGI), with the audit trail and without it
(the same app built without it), and how many events each append transaction carried.

    python -m bench.audit --clients 32 --requests 2000
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from api.app import create_app
from authz.roles import Role
from authz.tokens import load_keys, mint_token
from bench.harness import (
    GENERATED_BY,
    arguments,
    bench_intake,
    bench_settings,
    database,
    emit,
    neo4j_server,
)
from graph.core.db import Database, run
from graph.demo.synthetic import ESPS, SyntheticTips
from graph.reports.reporters import register_reporter

QUERY = "query One($id: ID!) { report(id: $id) { id status } }"


async def _events(db: Database) -> int:
    async def tx(tx: Any) -> int:
        return int((await run(tx, "MATCH (e:AuditEvent) RETURN count(e) AS n"))[0]["n"])
    return await db.read(tx)


async def _rate(app: Any, token: str, ids: list[int], clients: int, requests: int) -> float:
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b",
                                  headers={"Authorization": f"Bearer {token}"}) as client):
        for report_id in ids[:5]:  # warm-up: the document is validated, then compiled
            await client.post("/graphql", json={"query": QUERY, "variables": {"id": report_id}})
        semaphore = asyncio.Semaphore(clients)

        async def one(index: int) -> None:
            async with semaphore:
                response = await client.post("/graphql", json={
                    "query": QUERY, "variables": {"id": ids[index % len(ids)]}})
                if response.status_code != 200 or "errors" in response.json():
                    raise RuntimeError(response.text[:300])

        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(requests)))
        return requests / (time.perf_counter() - started)


async def main(reports: int, clients: int, requests: int) -> dict[str, Any]:
    logging.getLogger("tipgraph").setLevel(logging.WARNING)
    with neo4j_server() as uri, tempfile.TemporaryDirectory() as state:
        settings = bench_settings(uri, Path(state))
        token = mint_token(load_keys(settings.tokens), settings.tokens, role=Role.ANALYST)
        async with database(settings) as db:
            intake = bench_intake(db, settings.intake)
            tips = SyntheticTips(seed=7)
            for esp_id, name in ESPS:
                await register_reporter(db, esp_id, name, generated_by=GENERATED_BY)
            ids = [(await intake.submit_report(tips.esp(i)[0], tips.report_document(i)))["id"]
                   for i in range(reports)]
            before = await _events(db)
            with_audit = await _rate(create_app(settings), token, ids, clients, requests)
            events = await _events(db) - before
            without = await _rate(create_app(settings, audit=False), token, ids, clients,
                                  requests)
    return {"scenario": "audit_ceiling", "clients": clients, "requests": requests,
            "audited_per_second": round(with_audit, 1),
            "unaudited_per_second": round(without, 1),
            "ratio_audited_over_unaudited": round(with_audit / without, 3),
            "events_written": events}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=200)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=2000)
    args = arguments(parser)
    emit(asyncio.run(main(args.reports, args.clients, args.requests)))
