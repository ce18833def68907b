"""Backups that restore: the graph and the content store at one point in time.

**How.** Neo4j Community has no online backup, and ``neo4j-admin database dump`` needs the
database stopped, which stops the service. tipgraph takes a *logical* backup under a short
write pause instead (graph.ops.pause): every API process refuses writes (503, ``Retry-After``)
and reads go on. Under the pause it streams every node and relationship (one read each,
written as it arrives: memory stays flat), computes the digests it will be checked against,
and copies the blobs the graph's Files refer to; then the pause is lifted. Encrypting and
verifying happen after the pause.

**What a backup is** (a folder)::

    graph.tgb           the nodes and relationships, JSON lines, gzip, AES-256-GCM
                        (TIPGRAPH_BACKUP_KEY): "TGB1" | nonce | ciphertext | tag
    content/ab/cd/<sha256>   the blobs, as stored (already encrypted, TIPGRAPH_CONTENT_KEY)
    manifest.json       counts, digests (reports, identifiers, files), the audit chain's head,
                        the migrations, and the SHA-256 of every file above
    manifest.sig        the manifest's Ed25519 signature (the package-signing key)

It is verified on write: every file is read back against the manifest, the graph is decrypted
and counted, and every File's blob is present and no blob lacks its File.

**Restore** (:func:`restore`) verifies the signature and every digest first, refuses a target
that is not empty unless told, migrates the empty database (constraints and indexes), loads the
nodes and relationships in batches, copies the blobs, and then checks what it made: the
counts and digests against the manifest, the audit chain (``audit verify``), and the
File↔blob correspondence, each blob decrypting to its SHA-256.

The migration records and the identifier keying are the target's own (its migrator writes
them), not restored; the target must run the same migrations (the manifest names them).
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import neo4j.time
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from neo4j import AsyncManagedTransaction

from graph.audit.trail import verify as verify_audit
from graph.core.db import Database, run
from graph.core.errors import BadInput, Conflict
from graph.core.keyfiles import load_key
from graph.ops import pause
from graph.referrals.packages.signing import Signer, key_id
from graph.reports.blobs import ContentStore

FORMAT: Final = "tipgraph-backup/1"
MAGIC: Final = b"TGB1"
GRAPH_FILE: Final = "graph.tgb"
MANIFEST: Final = "manifest.json"
SIGNATURE: Final = "manifest.sig"
CHUNK: Final = 1 << 20
BATCH: Final = 2000
# The target's own: its migrator writes them (see the module).
NOT_RESTORED: Final = frozenset({"__Migration", "__MigrationLock", "IdentifierKeying",
                                 "WritePause"})
NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
DIGESTED: Final = ("Report", "Identifier", "File")


class BackupError(BadInput):
    """A backup that is broken, tampered with, or does not match what it claims."""


def load_backup_key(encoded: str | None, state_dir: Path, *, production: bool = False) -> bytes:
    return load_key(encoded, state_dir / "keys" / "backup.key", "TIPGRAPH_BACKUP_KEY",
                    production=production)


# -- values: Neo4j's types as JSON and back ---------------------------------------------------

def encode(value: Any) -> Any:
    """A property value as JSON, temporal values tagged (nanoseconds and offsets kept)."""
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, neo4j.time.DateTime):
        return {"$t": "datetime", "v": value.iso_format()}
    if isinstance(value, neo4j.time.Date):
        return {"$t": "date", "v": value.iso_format()}
    if isinstance(value, neo4j.time.Time):
        return {"$t": "time", "v": value.iso_format()}
    if isinstance(value, neo4j.time.Duration):
        return {"$t": "duration", "v": [value.months, value.days, value.seconds,
                                        value.nanoseconds]}
    if isinstance(value, bytes | bytearray):
        return {"$t": "bytes", "v": base64.b64encode(bytes(value)).decode()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise BackupError(f"a property of type {type(value).__name__} cannot be backed up")


def decode(value: Any) -> Any:
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        kind, raw = value["$t"], value["v"]
        if kind == "datetime":
            return neo4j.time.DateTime.from_iso_format(raw)
        if kind == "date":
            return neo4j.time.Date.from_iso_format(raw)
        if kind == "time":
            return neo4j.time.Time.from_iso_format(raw)
        if kind == "duration":
            months, days, seconds, nanoseconds = raw
            return neo4j.time.Duration(months=months, days=days, seconds=seconds,
                                       nanoseconds=nanoseconds)
        if kind == "bytes":
            return base64.b64decode(raw)
        raise BackupError(f"unknown value type {kind!r} in the backup")
    return value


def canonical(props: dict[str, Any]) -> bytes:
    return json.dumps({k: encode(v) for k, v in props.items()}, sort_keys=True,
                      separators=(",", ":")).encode()


# -- what a graph holds, and its digests --------------------------------------------------------

EVERY_NODE: Final = "MATCH (n) RETURN id(n) AS id, labels(n) AS labels, properties(n) AS props"
EVERY_RELATIONSHIP: Final = """
MATCH (a)-[r]->(b)
RETURN id(a) AS start, id(b) AS end, type(r) AS type, properties(r) AS props
"""
LABELLED: Final = {label: f"MATCH (n:{label}) RETURN properties(n) AS props"
                   for label in DIGESTED}


@dataclass
class Digests:
    """Per digested label: how many nodes, and the SHA-256 of their sorted canonical forms."""

    hashes: dict[str, list[bytes]]

    @classmethod
    def empty(cls) -> Digests:
        return cls({label: [] for label in DIGESTED})

    def add(self, labels: list[str], props: dict[str, Any]) -> None:
        for label in DIGESTED:
            if label in labels:
                self.hashes[label].append(hashlib.sha256(canonical(props)).digest())

    def summary(self) -> dict[str, dict[str, Any]]:
        out = {}
        for label, hashes in self.hashes.items():
            digest = hashlib.sha256()
            for h in sorted(hashes):
                digest.update(h)
            out[label] = {"count": len(hashes), "sha256": digest.hexdigest()}
        return out


async def graph_digests(db: Database) -> dict[str, dict[str, Any]]:
    """The digests of a live graph (what a restore is checked against)."""
    digests = Digests.empty()
    for label, query in LABELLED.items():
        async def read(tx: AsyncManagedTransaction, q: str = query, lab: str = label) -> None:
            result = await tx.run(q)
            async for record in result:
                digests.add([lab], record["props"])
        await db.read(read)
    return digests.summary()


# -- the encrypted stream ---------------------------------------------------------------------

class SealedWriter(io.RawIOBase):
    """gzip → AES-256-GCM → file, streaming (see the module for the layout)."""

    def __init__(self, path: Path, key: bytes) -> None:
        self.file = path.open("wb")
        nonce = os.urandom(12)
        self.file.write(MAGIC + nonce)
        self.encryptor = Cipher(algorithms.AES(key), modes.GCM(nonce)).encryptor()
        self.encryptor.authenticate_additional_data(MAGIC)

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.file.write(self.encryptor.update(bytes(data)))
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self.file.write(self.encryptor.finalize() + self.encryptor.tag)
            self.file.close()
        super().close()


def open_sealed(path: Path, key: bytes) -> Iterator[dict[str, Any]]:
    """The records of an encrypted graph file; ``BackupError`` when the key is wrong or the
    file was changed (the tag is checked before a record is given out)."""
    data = path.read_bytes()
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + 12 + 16:
        raise BackupError(f"{path.name} is not a tipgraph backup")
    nonce, body, tag = data[4:16], data[16:-16], data[-16:]
    decryptor = Cipher(algorithms.AES(key), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(MAGIC)
    try:
        plain = decryptor.update(body) + decryptor.finalize()
    except InvalidTag:
        raise BackupError("the backup does not decrypt with this TIPGRAPH_BACKUP_KEY, or it "
                          "was changed") from None
    with gzip.open(io.BytesIO(plain), "rt", encoding="utf-8") as lines:
        for line in lines:
            yield json.loads(line)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# -- backup -------------------------------------------------------------------------------------

async def _stream(db: Database, query: str) -> AsyncIterator[Any]:
    """Every record of one read, handed out as it arrives (a queue between the transaction
    and the writer; memory stays flat)."""
    queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=10_000)
    end = object()

    async def read(tx: AsyncManagedTransaction) -> None:
        result = await tx.run(query)
        async for record in result:
            await queue.put(record)

    async def produce() -> None:
        try:
            await db.read(read)
        finally:
            await queue.put(end)

    producer = asyncio.create_task(produce())
    while (item := await queue.get()) is not end:
        yield item
    await producer  # raises what the read raised


async def _migrations_tx(tx: AsyncManagedTransaction) -> list[str]:
    return [r["version"] for r in await run(
        tx, "MATCH (m:__Migration) RETURN m.version AS version ORDER BY version")]


async def backup(db: Database, store: ContentStore, out: Path, *, key: bytes, signer: Signer,
                 by: str, pause_seconds: float = 600) -> dict[str, Any]:
    """Back the graph and the content store up into the empty folder ``out``, under a write
    pause; verified before it returns (see the module)."""
    await asyncio.to_thread(_prepare, out)
    pause_id = str(uuid.uuid4())
    started = time.monotonic()
    digests, counts, refs = Digests.empty(), {"nodes": 0, "relationships": 0}, set()
    sealed = SealedWriter(out / GRAPH_FILE, key)
    lines = gzip.open(sealed, "wt", encoding="utf-8", compresslevel=3)  # noqa: SIM115
    try:
        settled = await pause.take(db, pause_id, by, seconds=pause_seconds)
        paused_at = time.monotonic()
        try:
            skipped: set[int] = set()  # the target's own nodes (NOT_RESTORED)
            async for r in _stream(db, EVERY_NODE):
                labels = [label for label in r["labels"] if label not in NOT_RESTORED]
                if not labels and r["labels"]:
                    skipped.add(r["id"])
                    continue
                props = dict(r["props"])
                lines.write(json.dumps({"node": r["id"], "labels": labels,
                                        "props": {k: encode(v) for k, v in props.items()}})
                            + "\n")
                digests.add(labels, props)
                if "File" in labels and props.get("contentRef"):
                    refs.add(props["contentRef"])
                counts["nodes"] += 1
            async for r in _stream(db, EVERY_RELATIONSHIP):
                if r["start"] in skipped or r["end"] in skipped:
                    continue
                lines.write(json.dumps({"rel": [r["start"], r["end"]], "type": r["type"],
                                        "props": {k: encode(v)
                                                  for k, v in dict(r["props"]).items()}})
                            + "\n")
                counts["relationships"] += 1
            audit = await verify_audit(db)
            migrations = await db.read(_migrations_tx)
            copied = await asyncio.to_thread(_copy_blobs, store, out / "content", sorted(refs))
        finally:
            await pause.lift(db, pause_id)
        paused = time.monotonic() - paused_at
    finally:
        lines.close()
        sealed.close()
    manifest = {
        "format": FORMAT, "takenAt": settled.isoformat(), "by": by,
        "counts": {**counts, "blobs": copied}, "digests": digests.summary(),
        "audit": {"events": audit["events"], "ok": audit["ok"]},
        "migrations": migrations, "files": _file_digests(out),
    }
    body = json.dumps(manifest, sort_keys=True, indent=1).encode()
    (out / MANIFEST).write_bytes(body)
    (out / SIGNATURE).write_text(json.dumps({"algorithm": "Ed25519",
                                             "keyId": key_id(signer.public_key),
                                             "signature": signer.sign(body)}))
    checked = await asyncio.to_thread(verify_backup, out, key=key, signer=signer)
    return {"out": str(out), "pausedSeconds": round(paused, 3),
            "seconds": round(time.monotonic() - started, 3), **checked}


def _prepare(out: Path) -> None:
    if out.exists() and any(out.iterdir()):
        raise Conflict(f"{out} is not empty; a backup goes into a folder of its own")
    (out / "content").mkdir(parents=True)


def _copy_blobs(store: ContentStore, target: Path, refs: list[str]) -> int:
    missing = [ref for ref in refs if not store.exists(ref)]
    if missing:
        raise BackupError(f"{len(missing)} Files refer to blobs the content store does not "
                          f"hold (first: {missing[0]}); the store is not the graph's")
    for ref in refs:
        source = store.path(ref)
        destination = target / source.relative_to(store.root)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
    return len(refs)


def _file_digests(folder: Path) -> dict[str, str]:
    return {str(path.relative_to(folder)): _sha256_file(path)
            for path in sorted(folder.rglob("*"))
            if path.is_file() and path.name not in (MANIFEST, SIGNATURE)}


# -- verifying a backup -------------------------------------------------------------------------

def read_manifest(folder: Path, signer: Signer) -> dict[str, Any]:
    """The manifest, once its signature verifies with the deployment's package key."""
    try:
        body = (folder / MANIFEST).read_bytes()
        signature = json.loads((folder / SIGNATURE).read_text())
        signer.public_key.verify(base64.b64decode(signature["signature"]), body)
        manifest: dict[str, Any] = json.loads(body)
    except FileNotFoundError as error:
        raise BackupError(f"{folder} is not a backup: {Path(str(error.filename)).name} is "
                          "missing") from None
    except (InvalidSignature, ValueError, KeyError):
        raise BackupError("the manifest's signature does not verify with this deployment's "
                          "package key: the backup was changed, or is another's") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    return manifest


def verify_backup(folder: Path, *, key: bytes, signer: Signer) -> dict[str, Any]:
    """:func:`verified_manifest`'s summary: verified, with the manifest's counts and digests."""
    manifest = verified_manifest(folder, key=key, signer=signer)
    return {"verified": True, "counts": manifest["counts"], "digests": manifest["digests"]}


def verified_manifest(folder: Path, *, key: bytes, signer: Signer) -> dict[str, Any]:
    """Check a backup against its signed manifest: every file's digest, the graph's counts and
    digests, and the File↔blob correspondence. Returns the manifest."""
    manifest = read_manifest(folder, signer)
    found = _file_digests(folder)
    if found != manifest["files"]:
        changed = sorted(set(found) ^ set(manifest["files"]) | {
            name for name in set(found) & set(manifest["files"])
            if found[name] != manifest["files"][name]})
        raise BackupError(f"the backup's files differ from its manifest: {changed[:5]}")
    digests, nodes, relationships, refs = Digests.empty(), 0, 0, set()
    for record in open_sealed(folder / GRAPH_FILE, key):
        if "node" in record:
            props = {k: decode(v) for k, v in record["props"].items()}
            digests.add(record["labels"], props)
            if "File" in record["labels"] and props.get("contentRef"):
                refs.add(props["contentRef"])
            nodes += 1
        else:
            relationships += 1
    if (digests.summary() != manifest["digests"]
            or [nodes, relationships] != [manifest["counts"]["nodes"],
                                          manifest["counts"]["relationships"]]):
        raise BackupError("the graph in the backup does not match its manifest")
    blobs = {name.rsplit("/", 1)[-1] for name in found if name.startswith("content/")}
    if blobs != refs:
        raise BackupError(f"Files and blobs differ: {len(refs - blobs)} Files without their "
                          f"blob, {len(blobs - refs)} blobs without a File")
    return manifest


# -- restore ------------------------------------------------------------------------------------

async def _count_tx(tx: AsyncManagedTransaction) -> int:
    [record] = await run(tx, "MATCH (n) WHERE NOT (n:__Migration OR n:__MigrationLock "
                             "OR n:IdentifierKeying) RETURN count(n) AS n")
    return int(record["n"])


async def _wipe_tx(tx: AsyncManagedTransaction) -> int:
    [record] = await run(tx, """
        MATCH (n) WHERE NOT (n:__Migration OR n:__MigrationLock OR n:IdentifierKeying)
        WITH n LIMIT 10000 DETACH DELETE n RETURN count(*) AS n""")
    return int(record["n"])


async def _write_tx(tx: AsyncManagedTransaction, query: str, rows: list[Any]) -> None:
    await run(tx, query, rows=rows)


def _labels(labels: list[str]) -> str:
    for label in labels:
        if not NAME.match(label):
            raise BackupError(f"a label {label[:40]!r} that is not a name")
    return "".join(f":`{label}`" for label in ["__Restoring", *labels])


async def restore(db: Database, store: ContentStore, folder: Path, *, key: bytes,
                  signer: Signer, migrate: Any, force: bool = False) -> dict[str, Any]:
    """Restore a verified backup into an empty database and content folder (see the module);
    ``migrate`` migrates the target (its constraints and indexes) before anything is loaded."""
    started = time.monotonic()
    manifest = await asyncio.to_thread(verified_manifest, folder, key=key, signer=signer)
    await migrate()
    migrations = await db.read(_migrations_tx)
    if migrations != manifest["migrations"]:
        raise BackupError("the backup was taken with other migrations than this tipgraph "
                          f"runs ({len(manifest['migrations'])} against {len(migrations)}); "
                          "restore it with the version that took it")
    occupied = await db.read(_count_tx)
    blobs_present = await asyncio.to_thread(
        lambda: store.root.exists() and any(store.root.glob("??/??/*")))
    if (occupied or blobs_present) and not force:
        raise Conflict(f"the target is not empty ({occupied} nodes, "
                       f"{'some' if blobs_present else 'no'} blobs); restore into an empty "
                       "database and content folder, or pass --force to replace them")
    while await db.write(_wipe_tx):
        pass
    if blobs_present:
        await asyncio.to_thread(_clear_blobs, store.root)
    await db.write(_write_tx, "CREATE INDEX restoring IF NOT EXISTS "
                   "FOR (n:__Restoring) ON (n.__backupId)", [])
    await db.read(_write_tx, "CALL db.awaitIndexes(300)", [])
    nodes: dict[tuple[str, ...], list[Any]] = {}
    rels: dict[str, list[Any]] = {}

    async def flush_nodes(labels: tuple[str, ...]) -> None:
        await db.write(_write_tx, f"UNWIND $rows AS row CREATE (n{_labels(list(labels))}) "
                       "SET n = row.props, n.__backupId = row.id", nodes.pop(labels))

    async def flush_rels(kind: str) -> None:
        if not NAME.match(kind):
            raise BackupError(f"a relationship type {kind[:40]!r} that is not a name")
        await db.write(_write_tx, "UNWIND $rows AS row "
                       "MATCH (a:__Restoring {__backupId: row.start}) "
                       "MATCH (b:__Restoring {__backupId: row.end}) "
                       f"CREATE (a)-[r:`{kind}`]->(b) SET r = row.props", rels.pop(kind))

    for record in open_sealed(folder / GRAPH_FILE, key):
        props = {k: decode(v) for k, v in record["props"].items()}
        if "node" in record:
            group = tuple(sorted(record["labels"]))
            nodes.setdefault(group, []).append({"id": record["node"], "props": props})
            if len(nodes[group]) >= BATCH:
                await flush_nodes(group)
        else:
            for group in list(nodes):
                await flush_nodes(group)
            rels.setdefault(record["type"], []).append(
                {"start": record["rel"][0], "end": record["rel"][1], "props": props})
            if len(rels[record["type"]]) >= BATCH:
                await flush_rels(record["type"])
    for group in list(nodes):
        await flush_nodes(group)
    for kind in list(rels):
        await flush_rels(kind)
    while await db.write(_write_tx_count, "MATCH (n:__Restoring) WITH n LIMIT 10000 "
                         "REMOVE n:__Restoring, n.__backupId RETURN count(*) AS n"):
        pass
    await db.write(_write_tx, "DROP INDEX restoring IF EXISTS", [])
    await asyncio.to_thread(_restore_blobs, folder / "content", store.root)
    result = await check_restored(db, store, manifest)
    return {"restored": True, "from": str(folder), "counts": manifest["counts"],
            "seconds": round(time.monotonic() - started, 3), **result}


async def _write_tx_count(tx: AsyncManagedTransaction, query: str) -> int:
    [record] = await run(tx, query)
    return int(record["n"])


def _clear_blobs(root: Path) -> None:
    for path in root.glob("??"):
        shutil.rmtree(path)


def _restore_blobs(source: Path, root: Path) -> None:
    for path in source.rglob("*"):
        if path.is_file():
            destination = root / path.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)


async def _file_refs_tx(tx: AsyncManagedTransaction) -> list[dict[str, Any]]:
    return [dict(r) for r in await run(tx, """
        MATCH (f:File) WHERE f.contentRef IS NOT NULL
        OPTIONAL MATCH (f)-[:HAS_HASH]->(h:Identifier {scope: 'SHA256'})
        RETURN f.contentRef AS ref, collect(h.value) AS sha256""")]


async def check_restored(db: Database, store: ContentStore,
                         manifest: dict[str, Any]) -> dict[str, Any]:
    """What a restore must show before it says ok: the manifest's digests, an intact audit
    chain, and every File's blob present and decrypting to its SHA-256."""
    digests = await graph_digests(db)
    if digests != manifest["digests"]:
        raise BackupError(f"the restored graph differs from the backup: {digests} against "
                          f"{manifest['digests']}")
    audit = await verify_audit(db)
    if not audit["ok"] or audit["events"] != manifest["audit"]["events"]:
        raise BackupError(f"the restored audit chain does not verify, or is not the backup's "
                          f"({audit['events']} events against {manifest['audit']['events']}): "
                          f"{audit.get('reason', '')}")
    files = await db.read(_file_refs_tx)

    def blobs_ok() -> int:
        for file in files:
            plain = store.read(file["ref"])
            if hashlib.sha256(plain).hexdigest() != file["ref"]:
                raise BackupError(f"blob {file['ref']} does not decrypt to its SHA-256")
        stored = {p.name for p in store.root.glob("??/??/*")}
        if stored != {f["ref"] for f in files}:
            raise BackupError("the restored blobs and Files differ")
        return len(files)

    checked = await asyncio.to_thread(blobs_ok)
    return {"verified": True, "auditEvents": audit["events"], "blobsDecrypted": checked}

