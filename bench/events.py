"""The delay from a referral to its live event, with many subscribers.

``--subscribers`` investigators of one agency (the worst fan-out: every subscriber receives
every event) hold ``referralEvents`` subscriptions over graphql-transport-ws to ``tipgraph
serve``. An analyst then refers ``--referrals`` reports to that agency through the API, one
after another. The delay of one delivery is from sending the ``referReport`` mutation to the
subscriber receiving the event (both clocks are this process's). Each delivery is audited
before it is sent, in group-committed batches.

Baselines measured in the same run: the same with one subscriber, and the raw floor (the
referral and its event written, numbered and read back from the log, without the API). The
first three referrals of each phase warm up and are not counted.

    python -m bench.events --subscribers 100 --referrals 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import websockets
from websockets.typing import Subprotocol

from authz.roles import Role
from authz.tokens import load_keys, mint_token
from bench.harness import (
    GENERATED_BY,
    api_server,
    arguments,
    bench_intake,
    bench_settings,
    database,
    emit,
    live_subscriptions,
    neo4j_server,
    percentiles,
    rss_mib,
)
from graph.core.db import Database
from graph.core.visibility import EVERY_REPORT
from graph.events import log as events
from graph.referrals.agencies import AgencyKind, AgencySpec, refer_report, upsert_agency
from graph.reports.reporters import register_reporter

AGENCY = "bench-events"
ALL = EVERY_REPORT
WARM_UP = 3
SUBSCRIBE = "subscription { referralEvents { cursor reportId } }"
REFER = """mutation($id: ID!) { referReport(reportId: $id, agencyId: "bench-events",
  reason: "benchmark") { id } }"""


def document() -> dict[str, Any]:
    from datetime import UTC, datetime

    from graph.core.vocabulary import IncidentType

    return {"incident_type": IncidentType.CHILD_PORNOGRAPHY,
            "incident_date_time": datetime(2026, 10, 1, tzinfo=UTC)}


async def reports(db: Database, count: int) -> list[int]:
    intake = bench_intake(db)
    await register_reporter(db, "bench-esp", "Bench ESP", generated_by=GENERATED_BY)
    await upsert_agency(db, AgencySpec(AGENCY, "Bench Events", AgencyKind.STATE, ("US-CA",)))
    return [int((await intake.submit_report("bench-esp", document()))["id"])
            for _ in range(count)]


async def subscriber(url: str, token: str, ready: asyncio.Event, received: dict[str, float],
                     expected: int, counted: list[int]) -> None:
    async with websockets.connect(url.replace("http://", "ws://") + "/graphql",
                                  subprotocols=[Subprotocol("graphql-transport-ws")],
                                  open_timeout=30) as socket:
        await socket.send(json.dumps({"type": "connection_init",
                                      "payload": {"Authorization": f"Bearer {token}"}}))
        assert json.loads(await socket.recv())["type"] == "connection_ack"
        await socket.send(json.dumps({"id": "1", "type": "subscribe",
                                      "payload": {"query": SUBSCRIBE}}))
        counted.append(1)
        if len(counted) >= expected:
            ready.set()
        while True:
            message = json.loads(await socket.recv())
            if message.get("type") != "next":
                continue
            report = message["payload"]["data"]["referralEvents"]["reportId"]
            received[f"{id(socket)}:{report}"] = time.perf_counter()


async def delays(url: str, officer: str, analyst: str, ids: list[int],
                 subscribers: int, pid: int) -> dict[str, Any]:
    received: dict[str, float] = {}
    ready, counted = asyncio.Event(), list[int]()
    tasks = [asyncio.create_task(subscriber(url, officer, ready, received, subscribers,
                                            counted)) for _ in range(subscribers)]
    await asyncio.wait_for(ready.wait(), 120)
    for _ in range(1200):  # up to a minute for every subscription to have its cursor
        if await live_subscriptions(url) >= subscribers:
            break
        await asyncio.sleep(0.05)
    rss = rss_mib(pid)
    sent: dict[int, float] = {}
    answered: list[float] = []
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        for report_id in ids:
            sent[report_id] = time.perf_counter()
            response = await client.post("/graphql", json={"query": REFER,
                                                            "variables": {"id": report_id}},
                                         headers={"Authorization": f"Bearer {analyst}"})
            answered.append(time.perf_counter() - sent[report_id])
            assert "errors" not in response.json(), response.text
            deadline = time.perf_counter() + 10
            while sum(1 for k in received if k.endswith(f":{report_id}")) < subscribers:
                assert time.perf_counter() < deadline, "events went missing"
                await asyncio.sleep(0.002)
            await asyncio.sleep(0.05)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    warm = set(ids[WARM_UP:])  # the first referrals warm the server's plans and pools up
    samples = sorted(at - sent[int(key.split(":")[1])] for key, at in received.items()
                     if int(key.split(":")[1]) in warm)
    return {"subscribers": subscribers, "deliveries": len(samples), **percentiles(samples),
            "max_ms": round(samples[-1] * 1000, 1),
            "refer_mutation_p50_ms": percentiles(answered[WARM_UP:])["p50_ms"],
            "api_rss_mib": round(rss, 1)}


async def raw_floor(db: Database, ids: list[int]) -> dict[str, float]:
    """The referral written through the driver (as the API writes it), then its event read."""
    times = []
    for index, report_id in enumerate(ids):
        started = time.perf_counter()
        await refer_report(db, report_id, AGENCY, by="bench", reason="floor", rows=EVERY_REPORT)
        await events.number(db)
        head = await events.head(db)
        assert (await events.events_after(db, head - 1, 1))[0]["reportId"] == report_id
        if index >= WARM_UP:
            times.append(time.perf_counter() - started)
    return percentiles(times)


async def main(subscribers: int, referrals: int) -> dict[str, Any]:
    with neo4j_server() as uri, tempfile.TemporaryDirectory() as state:
        settings = bench_settings(uri, Path(state))
        keys = load_keys(settings.tokens)
        async with database(settings) as db:
            ids = await reports(db, referrals * 3)
            floor = await raw_floor(db, ids[:referrals])
            with api_server(settings) as api:
                officer = mint_token(keys, settings.tokens, role=Role.LE, agency_id=AGENCY,
                                     subject="bench-officer", ttl=3600)
                analyst = mint_token(keys, settings.tokens,
                                     role=Role.ANALYST, subject="bench-analyst")
                one = await delays(api.url, officer, analyst, ids[referrals:2 * referrals], 1,
                                   api.pid)
                many = await delays(api.url, officer, analyst, ids[2 * referrals:],
                                    subscribers, api.pid)
    return {"scenario": "events", "referrals": referrals, "one_subscriber": one,
            "many_subscribers": many, "floor_raw_driver_write_and_read": floor,
            "ratio_many_over_one_p50": round(many["p50_ms"] / one["p50_ms"], 2),
            "ratio_many_over_floor_p50": round(many["p50_ms"] / floor["p50_ms"], 2)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", type=int, default=100)
    parser.add_argument("--referrals", type=int, default=20)
    args = arguments(parser)
    emit(asyncio.run(main(args.subscribers, args.referrals)))
