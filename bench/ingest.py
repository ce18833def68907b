"""Ingest: `submitReport` through the API against the same writes through the raw driver.

Each report names about 10 identifiers and has 2 files. The floor sends the very Cypher the
intake service sends (``CREATE_REPORT``), with parameters prepared before the clock starts:
one raw-driver transaction per report. Phases alternate (raw, API, raw, API) on fresh reports
of the same shape, so neither side profits from the other's warm graph.

    python -m bench.ingest --reports 300 --concurrency 8
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from neo4j import AsyncManagedTransaction

from bench.harness import (
    BENCH_IDS,
    GENERATED_BY,
    api_server,
    arguments,
    bench_settings,
    database,
    emit,
    neo4j_server,
    rss_mib,
    summary,
)
from graph.core.db import Database, run
from graph.core.ids import IdAllocator
from graph.core.vocabulary import CaptureEventName
from graph.demo.synthetic import SyntheticTips
from graph.reports.intake import writes as q
from graph.reports.intake.service import create_params
from graph.reports.intake.validation import Limits, graphql_input, plan_file, plan_report
from graph.reports.reporters import register_reporter

ESP_ID = "bench-esp"
SUBMIT: str = "mutation($input: SubmitReportInput!) { submitReport(input: $input) { id status } }"


def ingest_document(tips: SyntheticTips, index: int) -> dict[str, Any]:
    """A report with about 10 identifiers and 2 files."""
    document = tips.report_document(index)
    person = document["reported_people"][0]
    person["phones"] = [{"number": f"+1 415 555 01{index % 100:02d}"}]
    person["device_ids"] = [{"id_type": "IMEI", "id_value": f"35{index:013d}",
                             "event_name": CaptureEventName.LOGIN}]
    person["ip_capture_events"] = person["ip_capture_events"][:1] * 1 + [
        {"ip_address": f"198.51.100.{index % 250 + 1}"}]
    document["files"] = (document["files"] * 2)[:2]
    document["files"][1] = {**document["files"][1], "file_name": f"second-{index}.jpg",
                            "hashes": [{"algorithm": "MD5", "value": f"{index:032x}"}]}
    document["internet_details"] = [{"web_page": {"urls": [
        f"https://examplechat.example.com/p/{index}"]}}]
    return document


async def timed(jobs: list[Callable[[], Awaitable[None]]],
                concurrency: int) -> tuple[list[float], float]:
    semaphore = asyncio.Semaphore(concurrency)
    latencies: list[float] = []

    async def one(job: Callable[[], Awaitable[None]]) -> None:
        async with semaphore:
            started = time.perf_counter()
            await job()
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(one(job) for job in jobs))
    return latencies, time.perf_counter() - started


async def _create_tx(tx: AsyncManagedTransaction, params: dict[str, Any]) -> None:
    await run(tx, q.CREATE_REPORT, **params)


async def raw_phase(db: Database, documents: list[dict[str, Any]],
                    concurrency: int) -> tuple[list[float], float]:
    limits = Limits()
    report_ids, file_ids = IdAllocator(db, "report"), IdAllocator(db, "file")
    now = datetime.now(UTC)
    prepared = []
    for document in documents:
        report = plan_report(document, limits, now)
        files = [plan_file(f, limits, i, now) for i, f in enumerate(document["files"])]
        taken = await file_ids.take(len(files))
        prepared.append(create_params(ESP_ID, report, files, await report_ids.next(), taken, now,
                                      finish=True, ids=BENCH_IDS))

    def job(params: dict[str, Any]) -> Callable[[], Awaitable[None]]:
        return lambda: db.write(_create_tx, params)

    return await timed([job(p) for p in prepared], concurrency)


async def api_phase(client: httpx.AsyncClient, token: str, documents: list[dict[str, Any]],
                    concurrency: int) -> tuple[list[float], float]:
    bodies = [{"query": SUBMIT, "variables": {"input": graphql_input(d)}}
              for d in documents]

    def job(body: dict[str, Any]) -> Callable[[], Awaitable[None]]:
        async def send() -> None:
            response = await client.post("/graphql", json=body,
                                         headers={"Authorization": f"Bearer {token}"})
            data = response.json()
            if "errors" in data:
                raise RuntimeError(f"submitReport failed: {data['errors']}")

        return send

    return await timed([job(b) for b in bodies], concurrency)


async def main(reports: int, concurrency: int) -> dict[str, Any]:
    from authz.roles import Role
    from authz.tokens import load_keys, mint_token

    with neo4j_server() as uri, tempfile.TemporaryDirectory() as state:
        settings = bench_settings(uri, Path(state))
        token = mint_token(load_keys(settings.tokens), settings.tokens,
                           role=Role.ESP, esp_id=ESP_ID)
        async with database(settings) as db:
            await register_reporter(db, ESP_ID, "Benchmark ESP", generated_by=GENERATED_BY)
            tips = SyntheticTips(seed=11)
            batches = [[ingest_document(tips, b * reports + i) for i in range(reports)]
                       for b in range(5)]
            with api_server(settings) as api:
                async with httpx.AsyncClient(base_url=api.url, timeout=60) as client:
                    await api_phase(client, token, batches[0][:50], concurrency)  # warm-up
                    raw_runs, api_runs = [], []
                    for phase in range(2):
                        raw_runs.append(await raw_phase(db, batches[1 + 2 * phase],
                                                        concurrency))
                        api_runs.append(await api_phase(client, token, batches[2 + 2 * phase],
                                                        concurrency))
                    api_rss = rss_mib(api.pid)
    raw = summary([x for lat, _ in raw_runs for x in lat], sum(e for _, e in raw_runs))
    through_api = summary([x for lat, _ in api_runs for x in lat], sum(e for _, e in api_runs))
    return {
        "scenario": "ingest",
        "reports_per_phase": reports,
        "concurrency": concurrency,
        "identifiers_per_report": 10,
        "files_per_report": 2,
        "raw_driver": raw,
        "api_submitReport": through_api,
        "ratio_throughput_api_over_raw": round(through_api["per_second"] / raw["per_second"], 3),
        "ratio_p50_api_over_raw": round(through_api["p50_ms"] / raw["p50_ms"], 3),
        "api_rss_mib": round(api_rss, 1),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=300, help="reports per phase")
    parser.add_argument("--concurrency", type=int, default=8)
    args = arguments(parser)
    emit(asyncio.run(main(args.reports, args.concurrency)))
