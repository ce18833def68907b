"""Hash lists: known hashes of already-classified material, and the labels their matches suggest.

A list (``:HashList {name}``) has versions (``:HashListVersion {id: "NAME@VERSION"}``), each with
its entries (``:HashListEntry {algorithm, value, label}``), who imported it, when, from which
organisation (``source``) and under which classification scheme. A version can be retired: its
matches stop counting as suggestions, and their history stays.

A file whose hash is on a live version gets a label with ``source: 'MATCH'``, never a verdict:
``by`` names the list, its version and its organisation, ``basis`` says how it matched (an exact
SHA-256, say; a PDQ hash within the version's threshold, 31 bits by default, with its distance:
graph.matching.near). It sits beside the ESP's and analysts' labels and overrides none of them.
Files are matched when their report is enriched (after finishing, through either door) and all
at once whenever a version is imported. A match's label belongs to the file, so it obeys the
file's row rule; its basis names the list, never another report.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from neo4j import AsyncManagedTransaction

from graph.core.db import Database, run
from graph.core.errors import BadInput, Conflict, NotFound
from graph.core.idempotency import (
    Change,
    Replay,
    canonical,
    keyed_write,
    record_tx,
    replay_tx,
    write_once,
)
from graph.identifiers.identity import normalise_hash
from graph.matching import schemes
from graph.matching.near import (
    ALGORITHM,
    MAX_THRESHOLD,
    NEAR_OF_FILE,
    add_references_tx,
    match_version_near,
)
from graph.matching.pdq_index import DEFAULT_RADIUS

MAX_ENTRIES: Final = 2_000_000
NAME_LENGTH: Final = 100
BATCH: Final = 10_000


@dataclass(frozen=True, slots=True)
class Entry:
    algorithm: str  # normalised as files' hashes are (MD5, SHA1, SHA256, ...)
    value: str
    label: str


@dataclass(frozen=True, slots=True)
class ListVersion:
    name: str
    version: str
    source: str  # the organisation that classified the material
    scheme: str  # the classification scheme its labels belong to
    pdq_threshold: int = DEFAULT_RADIUS  # PDQ entries match within this Hamming distance

    @property
    def id(self) -> str:
        return f"{self.name}@{self.version}"


def _text(value: str, what: str) -> str:
    text = value.strip()
    if not text or len(text) > NAME_LENGTH or not text.isprintable() or "@" in text:
        raise BadInput(f"{what} must be 1 to {NAME_LENGTH} printable characters, without '@'",
                       field=what)
    return text


def list_version(name: str, version: str, source: str, scheme: str,
                 pdq_threshold: int = DEFAULT_RADIUS) -> ListVersion:
    if not 0 <= pdq_threshold <= MAX_THRESHOLD:
        raise BadInput(f"a PDQ threshold is 0 to {MAX_THRESHOLD} bits of 256 (PDQ's own is "
                       f"{DEFAULT_RADIUS})", field="pdqThreshold")
    return ListVersion(_text(name, "name"), _text(version, "version"), _text(source, "source"),
                       schemes.scheme(scheme).name, pdq_threshold)


def read_csv(text: str) -> list[Entry]:
    """Entries from ``algorithm,value,label`` lines (a header line is allowed); every error
    names its line, and nothing is imported unless every line is good."""
    entries: dict[tuple[str, str], Entry] = {}
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not any(cell.strip() for cell in row):
            continue
        if number == 1 and [c.strip().lower() for c in row] == ["algorithm", "value", "label"]:
            continue
        if len(row) != 3:
            raise BadInput(f"line {number}: expected algorithm,value,label; got {len(row)} "
                           "fields", field="file")
        algorithm, value, label = (cell.strip() for cell in row)
        try:
            hashed = normalise_hash(algorithm, value, field="file")
        except BadInput as error:
            raise BadInput(f"line {number}: {error}", field="file") from None
        if not label or len(label) > NAME_LENGTH or not label.isprintable():
            raise BadInput(f"line {number}: a label is 1 to {NAME_LENGTH} printable characters",
                           field="file")
        key = (hashed.scope or "", hashed.value)
        if key in entries and entries[key].label != label:
            raise BadInput(f"line {number}: {algorithm} {value} is listed twice with different "
                           "labels", field="file")
        entries[key] = Entry(hashed.scope or "", hashed.value, label)
        if len(entries) > MAX_ENTRIES:
            raise BadInput(f"a list has at most {MAX_ENTRIES} entries", field="file")
    if not entries:
        raise BadInput("the list has no entries", field="file")
    return list(entries.values())


# A version is written first, incomplete; its entries follow in batches; matching marks it
# complete. An import that stopped half-way is started again by importing the same version:
# its entries are cleared and written anew. A complete version is never imported twice.
CREATE_VERSION: Final = """
MERGE (l:HashList {name: $v.name})
  ON CREATE SET l.createdAt = $now
MERGE (v:HashListVersion {id: $v.id})
  ON CREATE SET v.complete = false
MERGE (l)-[:HAS_VERSION]->(v)
WITH v WHERE NOT v.complete
SET v.name = $v.name, v.version = $v.version, v.source = $v.source, v.scheme = $v.scheme,
    v.pdqThreshold = $v.pdqThreshold, v.importedAt = $now, v.importedBy = $by, v.entries = $count
WITH v
CALL (v) {
  MATCH (v)-[:LISTS]->(e:HashListEntry)
  DETACH DELETE e
}
RETURN v.id AS id
"""

ADD_ENTRIES: Final = """
MATCH (v:HashListVersion {id: $id})
UNWIND $entries AS e
CREATE (v)-[:LISTS]->(:HashListEntry {algorithm: e.algorithm, value: e.value, label: e.label,
                                      version: $id})
"""

# The labels a live version's entries suggest for files with the same hash (PDQ entries match
# by distance instead: graph.matching.near): one per file, version and algorithm (MERGE on a
# deterministic id, so matching twice changes nothing).
MATCH_LABELS: Final = """
MERGE (c:Classification {id: 'match:' + toString(f.id) + ':' + v.id + ':' + e.algorithm})
  ON CREATE SET c.label = e.label, c.source = 'MATCH', c.at = $now,
                c.by = v.name + ' ' + v.version + ' (' + v.source + ')',
                c.basis = 'exact ' + e.algorithm + ' match in hash list ' + v.name
                          + ' version ' + v.version + ' from ' + v.source
                          + ' (scheme ' + v.scheme + ')',
                c.scheme = v.scheme, c.listVersion = v.id
MERGE (f)-[:LABELLED]->(c)
RETURN count(c) AS matched
"""

# Enrichment's matching in one statement, a file at a time: ``$files`` is ``[{file, exact,
# near}]``, each file with the exact matches its read found (``exact``: version, algorithm,
# label; a version retired since is skipped) and the near pairs the index found (``near``:
# value, distance; graph.matching.near).
MATCH_REPORTS: Final = """
UNWIND $files AS m
MATCH (f:File {id: m.file})
CALL (f, m) {
  UNWIND m.exact AS e
  MATCH (v:HashListVersion {id: e.version}) WHERE v.retiredAt IS NULL
  WITH f, v, e
""" + MATCH_LABELS + """
}
CALL (f, m) {
  UNWIND m.near AS n
""" + NEAR_OF_FILE + """
  RETURN sum(listed) + sum(near) AS nearby
}
RETURN sum(matched) + sum(nearby) AS matched
"""

MATCH_VERSION: Final = """
MATCH (v:HashListVersion {id: $id})
SET v.complete = true
WITH v
MATCH (v)-[:LISTS]->(e:HashListEntry)
WHERE v.retiredAt IS NULL AND e.algorithm <> 'PDQ'
MATCH (h:Identifier {key: 'FILE_HASH:' + e.algorithm + ':' + e.value})
MATCH (f:File)-[:HAS_HASH]->(h)
""" + MATCH_LABELS

RETIRE: Final = """
MATCH (l:HashList {name: $name})-[:HAS_VERSION]->(v:HashListVersion)
WHERE v.retiredAt IS NULL AND ($version IS NULL OR v.version = $version)
SET v.retiredAt = $now, v.retiredBy = $by
WITH v
OPTIONAL MATCH (c:Classification {listVersion: v.id})
SET c.retiredAt = $now
RETURN v.id AS id, count(c) AS labels
"""

VERSIONS: Final = """
MATCH (l:HashList)-[:HAS_VERSION]->(v:HashListVersion)
WHERE $name IS NULL OR l.name = $name
OPTIONAL MATCH (c:Classification {listVersion: v.id})
WITH v, count(c) AS matches
RETURN v {.id, .name, .version, .source, .scheme, .pdqThreshold, .importedAt, .importedBy,
          .entries, .retiredAt, .retiredBy, matches: matches} AS version
ORDER BY v.name, v.importedAt
"""


async def _create_tx(tx: AsyncManagedTransaction, version: ListVersion, count: int, by: str,
                     now: datetime) -> bool:
    created = await run(tx, CREATE_VERSION, v={"id": version.id, "name": version.name,
                                               "version": version.version,
                                               "source": version.source,
                                               "scheme": version.scheme,
                                               "pdqThreshold": version.pdq_threshold},
                        count=count, by=by, now=now)
    return bool(created)


async def _entries_tx(tx: AsyncManagedTransaction, version_id: str,
                      entries: list[dict[str, str]]) -> None:
    await run(tx, ADD_ENTRIES, id=version_id, entries=entries)
    await add_references_tx(tx, [e["value"] for e in entries if e["algorithm"] == ALGORITHM])


async def _match_version_tx(tx: AsyncManagedTransaction, version_id: str,
                            now: datetime) -> int:
    [record] = await run(tx, MATCH_VERSION, id=version_id, now=now)
    return int(record["matched"])


async def match_reports_tx(tx: AsyncManagedTransaction, exact: list[dict[str, Any]],
                           near: list[dict[str, Any]], now: datetime) -> int:
    """Labels suggested by live lists, and by files analysts labelled, for the ``exact``
    matches and the ``near`` pairs enrichment found (in its write transaction; nothing to do
    when it found none).

    They go to Neo4j as one list, a file each. Neo4j plans a statement again for every size
    class (0, 1, 2-10, 11-100, more) of each list it is given, and planning this one takes
    about a second on a small machine: as two lists of their own sizes, a batch with ten exact
    matches and a batch with eleven were planned apart, and the combinations of the two lists
    gave up to fifteen plans, each a stall of the enrichment worker (bench.matching)."""
    files: dict[int, dict[str, Any]] = {}
    for found, key in ((exact, "exact"), (near, "near")):
        for m in found:
            files.setdefault(m["file"], {"file": m["file"], "exact": [], "near": []})[key].append(
                {k: v for k, v in m.items() if k != "file"})
    if not files:
        return 0
    [record] = await run(tx, MATCH_REPORTS, files=list(files.values()), now=now, version=None,
                         default=DEFAULT_RADIUS)
    return int(record["matched"])


async def import_list(db: Database, version: ListVersion, entries: Sequence[Entry], *,
                      by: str, change: Change | None = None) -> dict[str, Any]:
    """Imports a new version and matches every file against it. A complete version is
    imported once: the same name and version again is a ``Conflict`` (an interrupted import
    is started again: see CREATE_VERSION). An import takes several transactions; ``change``
    is recorded in the last, which marks the version complete, so a retry of an import that
    finished answers what that import answered and one that did not starts it again."""
    vocabulary = schemes.scheme(version.scheme)
    for label in sorted({e.label for e in entries}):
        vocabulary.check(label)  # every label is the scheme's before anything is written
    if change is not None and (replayed := await db.read(replay_tx, change)) is not None:
        return dict(json.loads(replayed.target))
    now = datetime.now(UTC)
    if not await db.write(_create_tx, version, len(entries), by, now):
        raise Conflict(f"hash list {version.name} version {version.version} was already "
                       "imported; import a new version")
    rows = [{"algorithm": e.algorithm, "value": e.value, "label": e.label} for e in entries]
    for start in range(0, len(rows), BATCH):
        await db.write(_entries_tx, version.id, rows[start:start + BATCH])
    # near matches first, then the exact ones, which mark the version complete: an import
    # that stops before that is started again whole (labels are merged by id: none twice)
    matched = await match_version_near(
        db, version.id, [e.value for e in entries if e.algorithm == ALGORITHM],
        version.pdq_threshold, now)
    done = await keyed_write(db, _complete_tx, change, replay_tx,
                             {"id": version.id, "entries": len(entries), "matched": matched},
                             now)
    return dict(json.loads(done.target)) if isinstance(done, Replay) else done


async def _complete_tx(tx: AsyncManagedTransaction, change: Change | None,
                       result: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The exact matches, which mark the version complete, and ``change`` with the import's
    result."""
    result = {**result, "matched": result["matched"]
              + await _match_version_tx(tx, result["id"], now)}
    if change is not None:
        await record_tx(tx, change, canonical(result))
    return result


async def _retire_tx(tx: AsyncManagedTransaction, name: str, version: str | None, by: str,
                     now: datetime) -> list[str]:
    retired = [r["id"] for r in await run(tx, RETIRE, name=name, version=version, by=by,
                                          now=now)]
    if not retired:
        raise NotFound(f"no live version of hash list {name}"
                       + (f" numbered {version}" if version else ""))
    return retired


async def retire(db: Database, name: str, version: str | None, *, by: str,
                 change: Change | None = None) -> list[str]:
    """Retires one version of a list, or every live one; their labels stay, marked retired.
    Returns the ids of the versions retired (replaying ``change``, those it retired)."""
    done = await write_once(db, change, _retire_tx, name, version, by, datetime.now(UTC),
                            target=canonical)
    return [str(i) for i in json.loads(done.target)] if isinstance(done, Replay) else done


async def _versions_tx(tx: AsyncManagedTransaction, name: str | None) -> list[dict[str, Any]]:
    return [dict(r["version"]) for r in await run(tx, VERSIONS, name=name)]


async def versions(db: Database, name: str | None = None) -> list[dict[str, Any]]:
    return await db.read(_versions_tx, name)

