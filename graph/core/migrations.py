"""The migration runner: ``migrations/V####__name.cypher`` applied in version order.

Like neo4j-migrations: each file is applied in one transaction and recorded as a
``:__Migration`` node with its checksum; editing an applied file is an error; a lock node
(unique by constraint) keeps two runners from applying at once. Schema statements and data
writes cannot share a Neo4j transaction, so the record is written right after its file; the
files use ``IF NOT EXISTS`` so that re-applying one after a crash in between is harmless.
"""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from neo4j import AsyncManagedTransaction
from neo4j import exceptions as neo4j_errors

from graph.core.db import Database, run
from graph.identifiers import keyed_ids as identifier_ids
from graph.identifiers.keyed_ids import IdentifierIds

FILE_NAME: Final = re.compile(r"^V(\d{4})__([A-Za-z0-9_]+)\.cypher\Z")
STALE_LOCK_SECONDS: Final = 600

# The runner's own bookkeeping schema (not a migration: it must exist before any migration runs).
LOCK_CONSTRAINT: Final = (
    "CREATE CONSTRAINT tipgraph_migration_lock IF NOT EXISTS "
    "FOR (l:__MigrationLock) REQUIRE l.id IS UNIQUE"
)
RECORD_CONSTRAINT: Final = (
    "CREATE CONSTRAINT tipgraph_migration_version IF NOT EXISTS "
    "FOR (m:__Migration) REQUIRE m.version IS UNIQUE"
)
TAKE_LOCK: Final = """
OPTIONAL MATCH (stale:__MigrationLock {id: 'migrations'})
  WHERE stale.at < datetime() - duration({seconds: $stale_seconds})
DELETE stale
WITH 1 AS ignored
CREATE (:__MigrationLock {id: 'migrations', owner: $owner, at: datetime()})
"""
LOCK_HOLDER: Final = (
    "MATCH (l:__MigrationLock {id: 'migrations'}) RETURN l.owner AS owner, l.at AS at"
)
RELEASE_LOCK: Final = "MATCH (l:__MigrationLock {id: 'migrations', owner: $owner}) DELETE l"
APPLIED: Final = """
MATCH (m:__Migration)
RETURN m.version AS version, m.description AS description, m.checksum AS checksum
ORDER BY m.version
"""
RECORD: Final = """
CREATE (:__Migration {version: $version, description: $description, checksum: $checksum,
                      appliedAt: datetime(), durationMs: $duration_ms})
"""


class MigrationError(RuntimeError):
    """The migrations cannot be applied as they are; the message names the file."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    path: Path
    checksum: str
    statements: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.path.name


def split_statements(text: str) -> tuple[str, ...]:
    """Split a Cypher file on ``;`` at line ends, dropping ``//`` comment lines."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("//")]
    parts = re.split(r";\s*$", "\n".join(lines), flags=re.MULTILINE)
    return tuple(part.strip() for part in parts if part.strip())


def discover(directory: Path) -> list[Migration]:
    migrations: list[Migration] = []
    seen: dict[int, Path] = {}
    for path in sorted(directory.glob("*.cypher")):
        match = FILE_NAME.match(path.name)
        if match is None:
            raise MigrationError(f"{path.name}: name must look like V0001__description.cypher")
        version = int(match.group(1))
        if version in seen:
            raise MigrationError(f"{path.name}: version {version} is also {seen[version].name}")
        seen[version] = path
        text = path.read_text(encoding="utf-8")
        migrations.append(Migration(
            version=version,
            description=match.group(2).replace("_", " "),
            path=path,
            checksum=hashlib.sha256(text.encode()).hexdigest(),
            statements=split_statements(text),
        ))
    return sorted(migrations, key=lambda m: m.version)


async def _applied_tx(tx: AsyncManagedTransaction) -> dict[int, str]:
    return {r["version"]: r["checksum"] for r in await run(tx, APPLIED)}


async def _apply_tx(tx: AsyncManagedTransaction, statements: tuple[str, ...]) -> None:
    for statement in statements:
        # Migration files are trusted, versioned project files: the one place for schema DDL.
        await run(tx, statement)


class Migrator:
    def __init__(self, db: Database, directory: Path,
                 identifier_ids: IdentifierIds | None = None) -> None:
        self.db = db
        self.directory = directory
        # Data no Cypher file can derive: identifier ids are a keyed HMAC computed here
        # (graph.identifiers.keyed_ids), re-derived under the lock whenever the key is new.
        self.identifier_ids = identifier_ids

    async def pending(self) -> list[Migration]:
        """Migrations not yet applied; raises if an applied file was edited or removed."""
        available = discover(self.directory)
        applied = await self.db.read(_applied_tx)
        by_version = {m.version: m for m in available}
        for version, checksum in applied.items():
            migration = by_version.get(version)
            if migration is None:
                raise MigrationError(f"V{version:04d} is applied but its file is missing")
            if migration.checksum != checksum:
                raise MigrationError(
                    f"{migration.name} was edited after it was applied "
                    f"(checksum {checksum[:12]} in the graph, {migration.checksum[:12]} on disk); "
                    "add a new migration instead"
                )
        return [m for m in available if m.version not in applied]

    async def is_current(self) -> bool:
        try:
            if await self.pending():
                return False
        except MigrationError:
            return False
        return self.identifier_ids is None or await identifier_ids.is_current(
            self.db, self.identifier_ids)

    async def migrate(self) -> list[Migration]:
        await self.db.write(_apply_tx, (LOCK_CONSTRAINT, RECORD_CONSTRAINT))
        owner = str(uuid.uuid4())
        await self._lock(owner)
        try:
            applied: list[Migration] = []
            for migration in await self.pending():
                started = time.monotonic()
                await self.db.write(_apply_tx, migration.statements)
                await self.db.write(
                    _record_tx, migration,
                    int((time.monotonic() - started) * 1000),
                )
                applied.append(migration)
            if self.identifier_ids is not None:
                await identifier_ids.rekey(self.db, self.identifier_ids)
            return applied
        finally:
            await self.db.write(_release_tx, owner)

    async def _lock(self, owner: str) -> None:
        try:
            await self.db.write(_take_lock_tx, owner)
        except neo4j_errors.ConstraintError:
            holder = await self.db.read(_lock_holder_tx)
            raise MigrationError(
                f"another migration runner holds the lock ({holder}); "
                f"it expires after {STALE_LOCK_SECONDS}s if that runner died"
            ) from None


async def _take_lock_tx(tx: AsyncManagedTransaction, owner: str) -> None:
    await run(tx, TAKE_LOCK, owner=owner, stale_seconds=STALE_LOCK_SECONDS)


async def _lock_holder_tx(tx: AsyncManagedTransaction) -> str:
    records = await run(tx, LOCK_HOLDER)
    return f"owner {records[0]['owner']} since {records[0]['at']}" if records else "released"


async def _release_tx(tx: AsyncManagedTransaction, owner: str) -> None:
    await run(tx, RELEASE_LOCK, owner=owner)


async def _record_tx(tx: AsyncManagedTransaction, migration: Migration, duration_ms: int) -> None:
    await run(tx, RECORD, version=migration.version, description=migration.description,
              checksum=migration.checksum, duration_ms=duration_ms)
