"""Backups that restore (issue #18, item 1): taken under a write pause the API honours while
writers run, restored into a second Neo4j, and compared (reports through both doors, uploads,
a referral and its outcome, a signed package, audit events)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from api.app import create_app
from api.settings import PROJECT_ROOT, Settings, identifier_ids
from authz.basic import issue_credentials
from authz.roles import ROLE_SCOPES, Role
from graph.core.db import Database, open_driver, run
from graph.core.errors import Conflict
from graph.core.migrations import Migrator
from graph.core.server import ephemeral_server
from graph.core.visibility import EVERY_REPORT, RowScope
from graph.ops.backup import (
    GRAPH_FILE,
    MANIFEST,
    BackupError,
    backup,
    graph_digests,
    load_backup_key,
    restore,
    verify_backup,
)
from graph.referrals.agencies import AgencyKind, AgencySpec, refer_report, upsert_agency
from graph.referrals.outcomes import record_outcome
from graph.referrals.packages.service import make_package
from graph.referrals.packages.signing import Signer, verify
from graph.reports.blobs import ContentStore, load_content_key
from graph.reports.reporters import register_reporter
from tests.conftest import Tokens
from tests.cybertipline import REFERENCE_REPORT, Ispws, ispws_client, synthetic_bytes
from tests.documents import SUBMIT_REPORT, example_input
from tests.helpers import make_settings, tipgraph

READ = "{ reports(first: 50) { totalCount edges { node { id files { id } } } } }"
PACKAGED_AT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
LE_SCOPES = frozenset(s.value for s in ROLE_SCOPES[Role.LE])


@contextlib.asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[Starlette]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


def _client(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                             base_url="http://tipgraph.test", timeout=60)


async def test_a_backup_under_writers_restores_into_a_second_neo4j(
        settings: Settings, db: Database, tokens: Tokens, tmp_path: Path) -> None:
    content = tmp_path / "content"
    source = make_settings(settings.neo4j_uri, settings.state_dir,
                           TIPGRAPH_CONTENT_DIR=str(content), TIPGRAPH_ENRICHMENT_WORKER="false")
    store = ContentStore(content, load_content_key(None, settings.state_dir))
    key = load_backup_key(None, settings.state_dir)
    signer = Signer.load(key_file=None, state_dir=settings.state_dir, production=False)
    await register_reporter(db, "example-esp", "Example ESP")
    esp, analyst = tokens.esp(), tokens.mint(Role.ANALYST)
    async with serving(source) as app, _client(app) as client:
        # reports through both doors, with uploads, a referral's worth of reads audited
        async with ispws_client(app, *await issue_credentials(db, "example-esp")) as raw:
            ispws = Ispws(raw)
            for n in range(3):
                report_id = int((await ispws.submit(REFERENCE_REPORT)).fields["reportId"])
                assert (await ispws.upload(report_id, synthetic_bytes(20_000, f"b{n}"))).code == 0
                assert (await ispws.finish(report_id)).code == 0
        for n in range(5):
            done = await client.post("/graphql", json={
                "query": SUBMIT_REPORT, "variables": {"input": example_input(), "key": f"s{n}"}},
                headers={"Authorization": f"Bearer {esp}"})
            assert done.status_code == 200, done.text
        read = await client.post("/graphql", json={"query": READ},
                                 headers={"Authorization": f"Bearer {analyst}"})
        assert read.status_code == 200
        # a report referred, and its signed package as the agency got it
        await upsert_agency(db, AgencySpec("icac-ca", "California ICAC",
                                           AgencyKind.ICAC_TASK_FORCE, ("US-CA",)))
        referred = int(done.json()["data"]["submitReport"]["id"])
        await refer_report(db, referred, "icac-ca", by="analyst-ana", reason="test referral",
                           rows=EVERY_REPORT)
        assert await record_outcome(db, referred, "icac-ca", "ARREST", note="synthetic",
                                    by="det-1", rows=RowScope(agency_id="icac-ca"))
        handed = await make_package(db, signer, referred, "icac-ca", scopes=LE_SCOPES,
                                    common_threshold=50, generated_at=PACKAGED_AT)

        # writers keep submitting (retrying with their keys) while the backup runs
        refused: list[int] = []
        paused_seen: list[bool] = []
        stop = asyncio.Event()

        async def writer(w: int) -> int:
            n = 0
            while not stop.is_set():
                response = await client.post("/graphql", json={
                    "query": SUBMIT_REPORT,
                    "variables": {"input": example_input(), "key": f"w{w}-{n}"}},
                    headers={"Authorization": f"Bearer {esp}"})
                if response.status_code == 200:
                    n += 1
                else:
                    assert response.status_code == 503, response.text
                    assert response.headers["Retry-After"]
                    refused.append(w)
                    await asyncio.sleep(0.2)
            return n

        async def probe() -> None:
            while not stop.is_set():
                paused_seen.append((await client.get("/readyz")).json()["writesPaused"])
                await asyncio.sleep(0.1)

        writers = [asyncio.create_task(writer(w)) for w in range(4)]
        prober = asyncio.create_task(probe())
        await asyncio.sleep(0.5)
        taken = await backup(db, store, tmp_path / "backup", key=key, signer=signer, by="test")
        await asyncio.sleep(0.5)
        stop.set()
        written = sum(await asyncio.gather(*writers))
        await prober
    assert taken["verified"] is True
    assert taken["pausedSeconds"] < 30
    assert refused  # writes during the pause answered 503 with Retry-After ...
    assert any(paused_seen)  # ... /readyz said so ...
    assert written > 0  # ... and they went on before and after it
    manifest = json.loads((tmp_path / "backup" / MANIFEST).read_text())
    assert manifest["counts"]["blobs"] == 3
    # nothing in the backup is in the clear
    assert b"shadow_fox" not in (tmp_path / "backup" / GRAPH_FILE).read_bytes()

    # restored into a second Neo4j and content folder
    with ephemeral_server(PROJECT_ROOT / ".tipgraph", tmp_path / "neo4j-2") as uri:
        target = make_settings(uri, tmp_path / "state-2")
        other = Database(open_driver(uri, "neo4j", "neo4j"), "neo4j")
        restored_store = ContentStore(tmp_path / "content-2", store.key)
        try:
            async def migrate() -> None:
                await Migrator(other, target.migrations_dir, identifier_ids(settings)).migrate()

            restored = await restore(other, restored_store, tmp_path / "backup", key=key,
                                     signer=signer, migrate=migrate)
            assert restored["verified"] is True
            assert restored["blobsDecrypted"] == 3
            assert restored["auditEvents"] == manifest["audit"]["events"] > 0
            # the same reports, identifiers and files, to the byte
            assert await graph_digests(other) == manifest["digests"]
            for blob in (tmp_path / "content-2").glob("??/??/*"):
                assert hashlib.sha256(restored_store.read(blob.name)).hexdigest() == blob.name

            async def reports(tx: Any) -> int:
                [row] = await run(tx, "MATCH (r:Report) RETURN count(r) AS n")
                return int(row["n"])
            assert await other.read(reports) == manifest["digests"]["Report"]["count"] >= 8

            async def outcomes(tx: Any) -> list[Any]:
                return [dict(r) for r in await run(
                    tx, "MATCH (:Report {id: $id})-[:HAS_OUTCOME]->(o:ReferralOutcome) "
                        "RETURN o.outcome AS outcome, o.by AS by", id=referred)]
            assert await other.read(outcomes) == [{"outcome": "ARREST", "by": "det-1"}]
            # the package handed over before the backup still verifies against the restored
            # graph: built again from it, its bytes are the signed ones
            again = await make_package(other, signer, referred, "icac-ca", scopes=LE_SCOPES,
                                       common_threshold=50, generated_at=PACKAGED_AT)
            for name, signed in ((handed.json.name, handed.json),
                                 (handed.pdf.name, handed.pdf)):
                rebuilt = again.json if name.endswith(".json") else again.pdf
                checked = verify(rebuilt.data, signed.envelope, name=name,
                                 trusted=signer.public_key)
                assert checked["ok"] is True, checked
            # a second restore into the now full target is refused unless told
            with pytest.raises(Conflict, match="not empty"):
                await restore(other, restored_store, tmp_path / "backup", key=key,
                              signer=signer, migrate=migrate)
        finally:
            await other.close()


async def test_a_changed_or_foreign_backup_is_refused(settings: Settings, db: Database,
                                                      tmp_path: Path) -> None:
    store = ContentStore(tmp_path / "content", load_content_key(None, settings.state_dir))
    key = load_backup_key(None, settings.state_dir)
    signer = Signer.load(key_file=None, state_dir=settings.state_dir, production=False)
    await register_reporter(db, "example-esp", "Example ESP")
    folder = tmp_path / "backup"
    await backup(db, store, folder, key=key, signer=signer, by="test")
    assert verify_backup(folder, key=key, signer=signer)["verified"] is True
    # a byte changed in the graph
    data = bytearray((folder / GRAPH_FILE).read_bytes())
    data[40] ^= 1
    (folder / GRAPH_FILE).write_bytes(bytes(data))
    with pytest.raises(BackupError, match="differ from its manifest"):
        verify_backup(folder, key=key, signer=signer)
    # a manifest edited to match is no longer signed
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["files"][GRAPH_FILE] = hashlib.sha256(bytes(data)).hexdigest()
    (folder / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(BackupError, match="signature"):
        verify_backup(folder, key=key, signer=signer)
    # and another deployment's key cannot read it
    other = Signer.load(key_file=None, state_dir=tmp_path / "elsewhere", production=False)
    with pytest.raises(BackupError, match="signature"):
        verify_backup(folder, key=key, signer=other)
    # a backup goes into an empty folder
    with pytest.raises(Conflict, match="not empty"):
        await backup(db, store, folder, key=key, signer=signer, by="test")


async def test_the_commands_back_up_and_refuse_to_restore_over_data(
        settings: Settings, db: Database, tmp_path: Path) -> None:
    await register_reporter(db, "example-esp", "Example ESP")
    taken = await asyncio.to_thread(tipgraph, settings, "backup", "--out",
                                    str(tmp_path / "backup"), "--by", "ops")
    assert taken.returncode == 0, taken.stderr
    answer = json.loads(taken.stdout)
    assert answer["verified"] is True
    assert answer["pausedSeconds"] >= 0
    refused = await asyncio.to_thread(tipgraph, settings, "restore", "--from",
                                      str(tmp_path / "backup"))
    assert refused.returncode == 1
    assert "not empty" in refused.stderr
    assert "Traceback" not in refused.stderr
    broken = await asyncio.to_thread(tipgraph, settings, "restore", "--from", str(tmp_path))
    assert broken.returncode == 1
    assert "not a backup" in broken.stderr


async def test_the_pause_waits_for_transactions_begun_before_it(settings: Settings,
                                                                db: Database) -> None:
    from graph.ops import pause

    driver = open_driver(settings.neo4j_uri, "neo4j", "neo4j")
    try:
        async with driver.session(database="neo4j") as session:
            open_write = await session.begin_transaction()
            await open_write.run("CREATE (:BackupProbe {at: datetime()})")
            taking = asyncio.create_task(pause.take(db, "probe-pause", "test", seconds=60))
            await asyncio.sleep(pause.NOTICE_SECONDS + 1.5)
            assert not taking.done()  # the earlier write is still open: no export yet
            await open_write.commit()
            await asyncio.wait_for(taking, timeout=10)
    finally:
        await pause.lift(db, "probe-pause")
        await driver.close()
