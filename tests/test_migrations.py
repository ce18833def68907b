"""The migration runner: ordered, recorded with checksums, refuses edits, locks out a twin."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from api.settings import PROJECT_ROOT, Settings
from graph.core.db import Database, run
from graph.core.migrations import MigrationError, Migrator, discover, split_statements


async def test_every_migration_is_recorded_with_its_checksum(db: Database,
                                                             settings: Settings) -> None:
    async def records(t: Any) -> dict[int, str]:
        rows = await run(t, "MATCH (m:__Migration) RETURN m.version AS v, m.checksum AS c")
        return {row["v"]: row["c"] for row in rows}

    on_disk = {m.version: m.checksum for m in discover(settings.migrations_dir)}
    assert await db.read(records) == on_disk
    assert await Migrator(db, settings.migrations_dir).migrate() == []  # nothing left to apply


async def test_the_constraints_exist(db: Database) -> None:
    async def names(t: Any) -> set[str]:
        return {row["name"] for row in await run(t, "SHOW CONSTRAINTS YIELD name")}

    assert {"identifier_key_unique", "report_id_unique", "file_id_unique",
            "reporter_id_unique", "agency_id_unique",
            "jurisdiction_code_unique"} <= await db.read(names)


async def test_an_edited_applied_migration_is_refused(db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    shutil.copytree(PROJECT_ROOT / "migrations", folder)
    first = sorted(folder.glob("V0001__*.cypher"))[0]
    first.write_text(first.read_text() + "\n// an edit\n")
    migrator = Migrator(db, folder)
    with pytest.raises(MigrationError, match=first.name):
        await migrator.migrate()
    assert await migrator.is_current() is False


async def test_a_second_runner_is_locked_out(db: Database, settings: Settings) -> None:
    async def hold(t: Any) -> None:
        await run(t, "CREATE (:__MigrationLock {id: 'migrations', owner: 'other', at: datetime()})")

    async def release(t: Any) -> None:
        await run(t, "MATCH (l:__MigrationLock) DELETE l")

    await db.write(hold)
    try:
        with pytest.raises(MigrationError, match="another migration runner"):
            await Migrator(db, settings.migrations_dir).migrate()
    finally:
        await db.write(release)


def test_files_are_found_in_version_order_and_split_into_statements(tmp_path: Path) -> None:
    (tmp_path / "V0010__later.cypher").write_text("RETURN 2;")
    (tmp_path / "V0002__earlier.cypher").write_text("// comment\nRETURN 1;\nRETURN 1.5;\n")
    found = discover(tmp_path)
    assert [m.version for m in found] == [2, 10]
    assert found[0].statements == ("RETURN 1", "RETURN 1.5")
    assert split_statements("A;\n\nB") == ("A", "B")
    (tmp_path / "bad-name.cypher").write_text("RETURN 3;")
    with pytest.raises(MigrationError, match="bad-name"):
        discover(tmp_path)


async def test_neo4j_is_the_real_5_26_kernel(db: Database) -> None:
    async def components(t: Any) -> list[dict[str, Any]]:
        return [dict(r) for r in await run(t, "CALL dbms.components() YIELD name, versions")]

    [kernel] = await db.read(components)
    assert kernel["name"] == "Neo4j Kernel"
    assert kernel["versions"][0].startswith("5.26.")
