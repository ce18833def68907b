"""Outages answer fast, whatever the concurrency (issue #18, item 6).

- Neo4j down: 16 concurrent requests carrying a token each get 503 with Retry-After within the
  driver's retry time, not one after another behind the revocation read or an id reservation.
- Neo4j paused (SIGSTOP on the suite's own server): in-flight and new requests get 503 within
  the read timeout; /readyz says 503 within its own bound; the API recovers when Neo4j does.
- What crashes leave in the content store (a partial upload, a blob whose File never
  committed) is swept by the API after the grace period and counted in /metrics.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
from starlette.applications import Starlette

from api.app import create_app
from api.settings import PROJECT_ROOT, Settings
from authz.roles import Role
from graph.core.db import Database
from graph.core.server import LocalNeo4j, free_port
from graph.reports.blobs import ContentStore, load_content_key
from graph.reports.reporters import register_reporter
from tests.conftest import Tokens
from tests.documents import SUBMIT_REPORT, example_input
from tests.helpers import make_settings

COUNT = "{ reports(first: 1) { totalCount } }"
QUIET = {"TIPGRAPH_ENRICHMENT_WORKER": "false", "TIPGRAPH_SWEEP_SECONDS": "0",
         "TIPGRAPH_EVENT_NUMBERING_SECONDS": "0"}


@contextlib.asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app: Starlette = create_app(settings)
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                  base_url="http://tipgraph.test", timeout=120) as client):
        yield client


async def _timed(client: httpx.AsyncClient, body: dict[str, Any],
                 token: str) -> tuple[float, httpx.Response]:
    started = time.monotonic()
    response = await client.post("/graphql", json=body,
                                 headers={"Authorization": f"Bearer {token}"})
    return time.monotonic() - started, response


def _unavailable(response: httpx.Response) -> bool:
    codes = [e["extensions"]["code"] for e in response.json().get("errors", [])]
    return (response.status_code == 503 and "Retry-After" in response.headers
            and codes == ["SERVICE_UNAVAILABLE"])


async def test_with_neo4j_down_concurrent_requests_all_get_503_within_the_retry_time(
        settings: Settings, tokens: Tokens) -> None:
    down = make_settings(f"bolt://127.0.0.1:{free_port()}", settings.state_dir,
                         TIPGRAPH_NEO4J_RETRY_SECONDS="2", **QUIET)
    async with serving(down) as client:
        analyst, esp = tokens.mint(Role.ANALYST), tokens.esp()
        answers = await asyncio.gather(
            *[_timed(client, {"query": COUNT}, analyst) for _ in range(16)],
            *[_timed(client, {"query": SUBMIT_REPORT, "variables": {"input": example_input()}},
                     esp) for _ in range(16)])
        ready = await client.get("/readyz")
    slowest = max(seconds for seconds, _ in answers)
    assert all(_unavailable(response) for _, response in answers), answers[0][1].text
    # one after another they would take 16 retry times; together, about one
    assert slowest < 2 + 4, slowest
    assert ready.status_code == 503
    assert ready.json()["neo4j"] is False


@contextlib.contextmanager
def paused(neo4j_uri: str) -> Iterator[None]:
    """The suite's Neo4j stopped (SIGSTOP) inside the block, continued after it."""
    record = LocalNeo4j(PROJECT_ROOT / ".tipgraph").record(urlparse(neo4j_uri).port or 7687)
    if record is None or "TIPGRAPH_NEO4J_URI" in os.environ:
        pytest.skip("the suite runs on a Neo4j it did not start: it will not pause that one")
    os.kill(record.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(record.pid, signal.SIGCONT)


async def test_a_paused_neo4j_answers_503_within_the_read_timeout_and_recovers(
        settings: Settings, tokens: Tokens, db: Database) -> None:
    await register_reporter(db, "example-esp", "Example ESP")
    bounded = make_settings(settings.neo4j_uri, settings.state_dir,
                            TIPGRAPH_QUERY_TIMEOUT_SECONDS="2",
                            TIPGRAPH_NEO4J_READ_TIMEOUT_SECONDS="3",
                            TIPGRAPH_NEO4J_CONNECT_TIMEOUT_SECONDS="2", **QUIET)
    analyst, esp = tokens.mint(Role.ANALYST), tokens.esp()
    async with serving(bounded) as client:
        warm = await _timed(client, {"query": COUNT}, analyst)  # connections in the pool
        assert warm[1].status_code == 200, warm[1].text
        with paused(settings.neo4j_uri):
            started = time.monotonic()
            answers = await asyncio.gather(
                *[_timed(client, {"query": COUNT}, analyst) for _ in range(16)],
                *[_timed(client, {"query": SUBMIT_REPORT,
                                  "variables": {"input": example_input()}}, esp)
                  for _ in range(4)])
            ready = await client.get("/readyz")
            waited = time.monotonic() - started
        assert all(_unavailable(response) for _, response in answers), answers[0][1].text
        assert max(seconds for seconds, _ in answers) < 3 + 2, [round(s, 1) for s, _ in answers]
        assert ready.status_code == 503
        assert waited < 3 + 2 + 4 + 2
        # and when Neo4j is back, so is the API, with nothing half-written
        deadline = time.monotonic() + 30
        while True:
            _, response = await _timed(client, {"query": COUNT}, analyst)
            if response.status_code == 200 or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        assert response.status_code == 200, response.text
        assert response.json()["data"]["reports"]["totalCount"] in range(0, 5)


async def test_what_crashes_leave_in_the_content_store_is_swept_and_counted(
        settings: Settings, db: Database, tmp_path: Path) -> None:
    content = tmp_path / "content"
    store = ContentStore(content, load_content_key(None, settings.state_dir))
    # a crash between storing a blob and committing its File: the blob, stored, and no File
    stored = store.open_blob(limit=1 << 20)
    stored.write(b"synthetic bytes whose File never committed")
    store.keep(stored)
    # a crash mid-upload: the temporary file, cut off
    cut = store.open_blob(limit=1 << 20)
    cut.write(b"the first half of an upload")
    cut.close()  # (the process that wrote it is gone; the file stays where it was)
    leftovers = [store.path(stored.address), cut.temporary]
    long_ago = time.time() - 120
    for path in leftovers:
        os.utime(path, (long_ago, long_ago))
    sweeping = make_settings(settings.neo4j_uri, settings.state_dir,
                             TIPGRAPH_CONTENT_DIR=str(content), TIPGRAPH_SWEEP_SECONDS="1",
                             TIPGRAPH_ORPHAN_GRACE_SECONDS="60",
                             TIPGRAPH_ENRICHMENT_WORKER="false")
    async with serving(sweeping) as client:
        for _ in range(100):  # the sweep runs every second
            if not any(path.exists() for path in leftovers):
                break
            await asyncio.sleep(0.2)
        await asyncio.sleep(0.2)
        metrics = (await client.get("/metrics")).text
    assert not any(path.exists() for path in leftovers)
    assert 'tipgraph_orphans_swept_total{kind="blob"} 1.0' in metrics
    assert 'tipgraph_orphans_swept_total{kind="partial_upload"} 1.0' in metrics
