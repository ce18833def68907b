"""The CyberTipline door: a report through submit -> upload (1 MiB) -> fileinfo -> finish,
against the same report through GraphQL ``submitReport``, measured in one run; and the API
process's memory while it receives a 200 MiB upload.

Both sides run against ``tipgraph serve`` in its own process, over HTTP, ``--concurrency``
clients at a time; phases alternate (XML, GraphQL, XML, GraphQL) on fresh reports of the same
shape. The GraphQL report carries the same facts and the three hashes of the same bytes (it has
no door for bytes); the XML report's bytes are hashed, encrypted and stored by the server.

The large upload is streamed by the client from a generator (never whole in memory on either
side); the server's RSS is sampled every 20 ms from /proc while it arrives.

    python -m bench.ispws --reports 60 --upload-mib 200
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import hashlib
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from authz.basic import issue_credentials
from authz.roles import Role
from authz.tokens import load_keys, mint_token
from bench.harness import (
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
from bench.ingest import ingest_document, timed
from graph.demo.synthetic import SyntheticTips
from graph.reports.intake.validation import graphql_input
from graph.reports.intake.xml import file_details_xml, report_xml
from graph.reports.reporters import register_reporter

ESP_ID = "bench-xml-esp"
SUBMIT = "mutation($input: SubmitReportInput!) { submitReport(input: $input) { id } }"
MIB = 1024 * 1024
BOUNDARY = "tipgraph-bench-boundary"


def payload(index: int, size: int = MIB) -> bytes:
    """``size`` synthetic bytes, different for every report."""
    block = hashlib.sha256(f"bench-{index}".encode()).digest() * (4096 // 32)
    return (block * (size // len(block) + 1))[:size]


def hashes(data: bytes) -> list[dict[str, str]]:
    return [{"algorithm": "MD5", "value": hashlib.md5(data, usedforsecurity=False).hexdigest()},
            {"algorithm": "SHA1", "value": hashlib.sha1(data, usedforsecurity=False).hexdigest()},
            {"algorithm": "SHA256", "value": hashlib.sha256(data).hexdigest()}]


def report_and_file(tips: SyntheticTips, index: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """A report (without files) and one file's details, as the intake's documents."""
    document = ingest_document(tips, index)
    file = {k: v for k, v in document["files"][0].items() if k != "hashes"}
    document = {k: v for k, v in document.items() if k != "files"}
    document["reporter"] = {"reporting_person": {
        "first_name": "Bench", "emails": [{"address": "reports@bench-esp.example"}]}}
    return document, file


def check(response: httpx.Response) -> str:
    if response.status_code != 200 or b"<responseCode>0</responseCode>" not in response.content:
        raise RuntimeError(f"ispws refused: {response.status_code} {response.text[:400]}")
    return response.text


def field(xml: str, tag: str) -> str:
    return xml.split(f"<{tag}>", 1)[1].split(f"</{tag}>", 1)[0]


async def xml_report(client: httpx.AsyncClient, document: dict[str, Any],
                     file: dict[str, Any], data: bytes) -> None:
    opened = check(await client.post("/ispws/submit", content=report_xml(document),
                                     headers={"Content-Type": "text/xml; charset=utf-8"}))
    report_id = int(field(opened, "reportId"))
    uploaded = check(await client.post("/ispws/upload", data={"id": str(report_id)},
                                       files={"file": (file["file_name"], data)}))
    file_id = field(uploaded, "fileId")
    check(await client.post("/ispws/fileinfo", content=file_details_xml(report_id, file_id, file),
                            headers={"Content-Type": "text/xml; charset=utf-8"}))
    check(await client.post("/ispws/finish", files={"id": (None, str(report_id))}))


async def graphql_report(client: httpx.AsyncClient, token: str, document: dict[str, Any],
                         file: dict[str, Any], data: bytes) -> None:
    body = {"query": SUBMIT, "variables": {"input": graphql_input(
        {**document, "files": [{**file, "hashes": hashes(data)}]})}}
    response = await client.post("/graphql", json=body,
                                 headers={"Authorization": f"Bearer {token}"})
    if "errors" in response.json():
        raise RuntimeError(f"submitReport failed: {response.text[:400]}")


async def big_upload(client: httpx.AsyncClient, pid: int, size_mib: int) -> dict[str, Any]:
    """Stream ``size_mib`` MiB to /ispws/upload; the server's RSS before, at its peak, after."""
    document, _ = report_and_file(SyntheticTips(seed=3), 0)
    opened = check(await client.post("/ispws/submit", content=report_xml(document),
                                     headers={"Content-Type": "text/xml"}))
    report_id = field(opened, "reportId")
    chunk = payload(7, MIB)
    md5 = hashlib.md5(usedforsecurity=False)

    async def body() -> AsyncIterator[bytes]:
        yield (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"id\"\r\n\r\n"
               f"{report_id}\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\";"
               f" filename=\"big.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n").encode()
        for _ in range(size_mib):
            md5.update(chunk)
            yield chunk
        yield f"\r\n--{BOUNDARY}--\r\n".encode()

    before = rss_mib(pid)
    peak = before
    done = asyncio.Event()

    async def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss_mib(pid))
            await asyncio.sleep(0.02)

    sampler = asyncio.create_task(sample())
    started = time.perf_counter()
    response = await client.post(
        "/ispws/upload", content=body(),
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}, timeout=600)
    elapsed = time.perf_counter() - started
    done.set()
    await sampler
    text = check(response)
    if field(text, "hash") != md5.hexdigest():
        raise RuntimeError("the server's MD5 differs from the bytes sent")
    return {"upload_mib": size_mib, "seconds": round(elapsed, 2),
            "mib_per_second": round(size_mib / elapsed, 1),
            "rss_before_mib": round(before, 1), "rss_peak_mib": round(peak, 1),
            "rss_growth_mib": round(peak - before, 1), "rss_after_mib": round(rss_mib(pid), 1)}


async def main(reports: int, concurrency: int, upload_mib: int) -> dict[str, Any]:
    with neo4j_server() as uri, tempfile.TemporaryDirectory() as state:
        settings = bench_settings(uri, Path(state))
        token = mint_token(load_keys(settings.tokens), settings.tokens,
                           role=Role.ESP, esp_id=ESP_ID)
        async with database(settings) as db:
            await register_reporter(db, ESP_ID, "Benchmark XML ESP", generated_by=GENERATED_BY)
            username, password = await issue_credentials(db, ESP_ID)
        tips = SyntheticTips(seed=23)
        phases = [[(*report_and_file(tips, p * reports + i), p * reports + i)
                   for i in range(reports)] for p in range(5)]
        with api_server(settings) as api:
            async with httpx.AsyncClient(base_url=api.url, timeout=120,
                                         auth=(username, password)) as xml_client, \
                    httpx.AsyncClient(base_url=api.url, timeout=120) as gql_client:

                async def via_xml(document: dict[str, Any], file: dict[str, Any],
                                  index: int) -> None:
                    await xml_report(xml_client, document, file, payload(index))

                async def via_graphql(document: dict[str, Any], file: dict[str, Any],
                                      index: int) -> None:
                    await graphql_report(gql_client, token, document, file, payload(index))

                def xml_jobs(batch: list[Any]) -> list[Callable[[], Awaitable[None]]]:
                    return [functools.partial(via_xml, *job) for job in batch]

                def gql_jobs(batch: list[Any]) -> list[Callable[[], Awaitable[None]]]:
                    return [functools.partial(via_graphql, *job) for job in batch]

                await timed(xml_jobs(phases[0][:10]) + gql_jobs(phases[0][10:20]), concurrency)
                xml_runs, gql_runs = [], []
                for phase in range(2):
                    xml_runs.append(await timed(xml_jobs(phases[1 + 2 * phase]), concurrency))
                    gql_runs.append(await timed(gql_jobs(phases[2 + 2 * phase]), concurrency))
                rss_under_load = rss_mib(api.pid)
                upload = await big_upload(xml_client, api.pid, upload_mib)
    xml = summary([x for lat, _ in xml_runs for x in lat], sum(e for _, e in xml_runs))
    gql = summary([x for lat, _ in gql_runs for x in lat], sum(e for _, e in gql_runs))
    return {
        "scenario": "ispws",
        "reports_per_phase": reports,
        "concurrency": concurrency,
        "xml_submit_upload_1mib_fileinfo_finish": xml,
        "graphql_submitReport": gql,
        "ratio_throughput_xml_over_graphql": round(xml["per_second"] / gql["per_second"], 3),
        "api_rss_mib_after_load": round(rss_under_load, 1),
        "large_upload": upload,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=60, help="reports per phase and door")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--upload-mib", type=int, default=200)
    args = arguments(parser)
    emit(asyncio.run(main(args.reports, args.concurrency, args.upload_mib)))
