"""Near-duplicate matching: a file whose PDQ hash lies near a known one gets a suggestion.

The known PDQ hashes are the ``:PdqReference`` nodes, one per distinct value: the PDQ entries
of hash lists (written on import) and the PDQ hashes of files analysts labelled (written with
the label). Files are matched when their report is enriched (with the exact matches, in
``graph.matching.hashlists.match_reports_tx``), and a newly imported list is matched against
every file (:func:`match_version_near`).

A near match is a ``Classification`` with ``source: 'MATCH'``, like an exact one:

- on a list entry, its basis names the list, its version, the distance and the list's
  threshold (31 by default, PDQ's published one; settable per version);
- on a file an analyst labelled, its label is that analyst's latest label of the file. Its
  ``basis`` never names the earlier file, its report or the analyst, because readers who may
  not see that report read it ("matches a file labelled B1 by an analyst"); ``basisForAll``
  names them, and only readers who see every report are shown it (:func:`basis_for`).

**The index.** :class:`References` holds the reference hashes in a :class:`PdqIndex` (exact
radius search; see its module for the measurements) in memory and, given a folder, on disk.
The graph is the truth: before matching, :meth:`References.sync` compares the index with the
graph's set (its epoch, made anew when the set is created, and its size, from Neo4j's count
store), reads what arrived since the last sync (by time, with a margin for transactions that
committed late), and rebuilds from the graph only when the two still disagree. Entries are
never taken out: a retired list's entries stay in the index, and the graph's statement skips
them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from neo4j import AsyncManagedTransaction

from graph.core.db import Database, run
from graph.matching.pdq_index import DEFAULT_RADIUS, PdqIndex, codes, parse_pdq

log = logging.getLogger("tipgraph.matching")

ALGORITHM: Final = "PDQ"
MAX_THRESHOLD: Final = 64  # a list's threshold, in bits of 256 (PDQ's own is 31)
LATE_COMMIT: Final = timedelta(minutes=10)  # a reference may commit this long after its time
PAGE: Final = 50_000
STATE_FILE: Final = "pdq-state"  # the graph's epoch and the time of the last sync, on disk

# Written in the transaction that writes the reference's source (a list's entries, a label).
ADD_REFERENCES: Final = """
MERGE (s:PdqReferenceSet {key: 'pdq'})
  ON CREATE SET s.epoch = randomUUID()
WITH s
UNWIND $values AS value
MERGE (p:PdqReference {value: value})
  ON CREATE SET p.at = datetime()
"""

STATE_RADII: Final = """
OPTIONAL MATCH (s:PdqReferenceSet {key: 'pdq'})
RETURN s.epoch AS epoch, COUNT { MATCH (p:PdqReference) } AS size,
       COLLECT { MATCH (v:HashListVersion) WHERE v.retiredAt IS NULL AND v.complete
                 RETURN DISTINCT coalesce(v.pdqThreshold, $default) } AS radii
"""

SINCE: Final = """
MATCH (p:PdqReference) WHERE p.at >= $since
RETURN p.value AS value
"""

EVERY: Final = """
MATCH (p:PdqReference) WHERE p.value > $after
RETURN p.value AS value ORDER BY p.value LIMIT $page
"""

# What enrichment matches, read in one round trip without locks: the state of the references,
# these reports' files' PDQ hashes, and their exact matches on live lists (the write then
# labels only what was found, and nothing when nothing was).
PDQ_OF_REPORTS: Final = """
OPTIONAL MATCH (s:PdqReferenceSet {key: 'pdq'})
RETURN s.epoch AS epoch, COUNT { MATCH (p:PdqReference) } AS size,
       COLLECT { MATCH (v:HashListVersion) WHERE v.retiredAt IS NULL AND v.complete
                 RETURN DISTINCT coalesce(v.pdqThreshold, $default) } AS radii,
       COLLECT { UNWIND $ids AS id
                 MATCH (:Report {id: id})-[:HAS_FILE]->(f:File)
                       -[:HAS_HASH]->(h:Identifier {scope: 'PDQ'})
                 RETURN DISTINCT {file: f.id, value: h.value} } AS files,
       COLLECT { UNWIND $ids AS id
                 MATCH (:Report {id: id})-[:HAS_FILE]->(f:File)-[:HAS_HASH]->(h:Identifier)
                 MATCH (e:HashListEntry {algorithm: h.scope, value: h.value})
                       <-[:LISTS]-(v:HashListVersion)
                 WHERE v.complete AND v.retiredAt IS NULL AND e.algorithm <> 'PDQ'
                 RETURN DISTINCT {file: f.id, version: v.id, algorithm: e.algorithm,
                                  label: e.label} } AS exact
"""

# Every file's PDQ hash, a page at a time in key order (matching a newly imported list).
FILES_PDQ: Final = """
MATCH (h:Identifier) WHERE h.key STARTS WITH 'FILE_HASH:PDQ:' AND h.key > $after
WITH h ORDER BY h.key LIMIT $page
MATCH (f:File)-[:HAS_HASH]->(h)
RETURN h.key AS key, h.value AS value, collect(f.id) AS files
"""

# The suggestions a near match makes, for a file ``f`` and ``n``, ``{value, distance}``: a
# reference hash within the widest threshold. A list entry matches within its version's
# threshold (``$version`` names one version, or null for every live one); a labelled file
# within the default threshold, and never the file itself. Ids are deterministic, so matching
# twice changes nothing. A version being imported is matched before it is complete. Gives
# ``listed`` and ``near``, the suggestions made on each side (0 or more).
NEAR_OF_FILE: Final = """
CALL (f, n) {
  MATCH (e:HashListEntry {algorithm: 'PDQ', value: n.value})<-[:LISTS]-(v:HashListVersion)
  WHERE v.retiredAt IS NULL AND (($version IS NULL AND v.complete) OR v.id = $version)
    AND n.distance <= coalesce(v.pdqThreshold, $default)
  WITH f, n, e, v, coalesce(v.pdqThreshold, $default) AS threshold
  MERGE (c:Classification {id: 'match:' + toString(f.id) + ':' + v.id + ':PDQ'})
    ON CREATE SET c.label = e.label, c.source = 'MATCH', c.at = $now,
                  c.by = v.name + ' ' + v.version + ' (' + v.source + ')',
                  c.basis = 'PDQ match at distance ' + toString(n.distance) + ' of at most '
                            + toString(threshold) + ' in hash list ' + v.name + ' version '
                            + v.version + ' from ' + v.source + ' (scheme ' + v.scheme + ')',
                  c.scheme = v.scheme, c.listVersion = v.id, c.distance = n.distance
  MERGE (f)-[:LABELLED]->(c)
  RETURN count(c) AS listed
}
CALL (f, n) {
  WITH f, n WHERE $version IS NULL AND n.distance <= $default
  MATCH (:Identifier {key: 'FILE_HASH:PDQ:' + n.value})<-[:HAS_HASH]-(g:File)
  WHERE g <> f
  CALL (g) {
    MATCH (g)-[:LABELLED]->(a:Classification {source: 'ANALYST'})
    RETURN a ORDER BY a.at DESC, a.id DESC LIMIT 1
  }
  MATCH (earlier:Report)-[:HAS_FILE]->(g)
  MERGE (c:Classification {id: 'near:' + toString(f.id) + ':' + toString(g.id)})
    ON CREATE SET c.label = a.label, c.source = 'MATCH', c.at = $now,
                  c.by = 'tipgraph near-duplicate matching',
                  c.basis = 'matches a file labelled ' + a.label + ' by an analyst (PDQ '
                            + 'distance ' + toString(n.distance) + ' of at most '
                            + toString($default) + ')',
                  c.basisForAll = 'PDQ distance ' + toString(n.distance) + ' of at most '
                            + toString($default) + ' to file ' + toString(g.id) + ' of report '
                            + toString(earlier.id) + ', labelled ' + a.label + ' by '
                            + a.by + ' (ANALYST) at ' + toString(a.at),
                  c.scheme = a.scheme, c.distance = n.distance, c.nearFile = g.id,
                  c.nearReport = earlier.id, c.nearLabel = a.id
  MERGE (f)-[:LABELLED]->(c)
  RETURN count(c) AS near
}
"""

# A list's import: ``$near`` is ``[{file, value, distance}]``.
NEAR_LABELS: Final = """
UNWIND $near AS n
MATCH (f:File {id: n.file})
""" + NEAR_OF_FILE + """
RETURN sum(listed) + sum(near) AS matched
"""


def basis_for(classification: dict[str, Any], *, sees_all: bool) -> str | None:
    """A label's basis as this reader may read it: a near match's full basis (the earlier file,
    its report and the analyst) only for a reader who sees every report."""
    if sees_all and classification.get("basisForAll"):
        return str(classification["basisForAll"])
    basis = classification.get("basis")
    return None if basis is None else str(basis)


async def add_references_tx(tx: AsyncManagedTransaction, values: Sequence[str]) -> None:
    """Makes PDQ hashes references, in the transaction that writes their source."""
    if values:
        await run(tx, ADD_REFERENCES, values=list(values))


def _code(value: str) -> bytes | None:
    try:
        return parse_pdq(value)
    except ValueError:
        return None


class References:
    """The reference PDQ hashes, indexed; kept in step with the graph by :meth:`sync`."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        self.index = PdqIndex()
        self.epoch: str | None = None
        self.synced_at: datetime | None = None
        self.radius = DEFAULT_RADIUS
        self._lock = asyncio.Lock()
        if folder is not None:
            try:
                self.index = PdqIndex.load(folder)
                state = folder / STATE_FILE
                if state.exists():
                    epoch, synced_at = state.read_text().split()
                    self.epoch, self.synced_at = epoch, datetime.fromisoformat(synced_at)
            except (OSError, ValueError, RuntimeError) as error:
                log.warning("the saved PDQ index in %s is unreadable (%s); rebuilding it",
                            folder, error)
                self.index = PdqIndex()

    def _add(self, hashes: list[bytes]) -> int:
        """Adds the hashes the index does not hold yet; ids are positions."""
        if not hashes:
            return 0
        batch = codes(hashes)
        found = self.index.within(batch, 0)
        new = [h for h, hits in zip(hashes, found, strict=True) if not hits]
        new = list(dict.fromkeys(new))
        if new:
            self.index.add(range(len(self.index), len(self.index) + len(new)), codes(new))
        return len(new)

    async def sync(self, db: Database, state: dict[str, Any] | None = None) -> None:
        """Brings the index in step with the graph's references (see the module); ``state``
        is :func:`state_tx`'s answer when the caller read it in a transaction of its own."""
        async with self._lock:
            if state is None:
                state = await db.read(state_tx)
            self.radius = max([DEFAULT_RADIUS, *state["radii"]])
            epoch, size = state["epoch"], int(state["size"])
            if epoch == self.epoch and size == len(self.index):
                return
            started = datetime.now(UTC)
            added = 0
            if epoch == self.epoch and self.synced_at is not None:
                values = await db.read(_since_tx, self.synced_at - LATE_COMMIT)
                added = await asyncio.to_thread(self._add, [c for v in values
                                                            if (c := _code(v)) is not None])
            if epoch != self.epoch or len(self.index) != size:
                await self._rebuild(db)
                added = len(self.index)
            self.epoch, self.synced_at = epoch, started
            if added and self.folder is not None:
                await asyncio.to_thread(self._save)

    async def _rebuild(self, db: Database) -> None:
        began = time.monotonic()
        self.index, after = PdqIndex(), ""
        while True:
            page = await db.read(_every_tx, after)
            if not page:
                break
            hashes = [c for v in page if (c := _code(v)) is not None]
            if hashes:
                self.index.add(range(len(self.index), len(self.index) + len(hashes)),
                               codes(hashes))
            after = page[-1]
        log.info("PDQ index rebuilt from the graph: %d hashes in %.2f s", len(self.index),
                 time.monotonic() - began)

    def _save(self) -> None:
        assert self.folder is not None
        self.index.save(self.folder)
        state = self.folder / (STATE_FILE + ".tmp")
        state.write_text(f"{self.epoch} {self.synced_at.isoformat() if self.synced_at else ''}")
        state.replace(self.folder / STATE_FILE)

    def near(self, values: Sequence[str]) -> list[list[tuple[str, int]]]:
        """For each PDQ value, the reference hashes within the widest threshold and their
        distances (a value that is not a PDQ hash has none)."""
        parsed = [_code(v) for v in values]
        usable = [p for p in parsed if p is not None]
        found = iter(self.index.within(codes(usable), self.radius) if usable else [])
        answers: list[list[tuple[str, int]]] = []
        for p in parsed:
            hits = next(found) if p is not None else []
            answers.append([(self.index.code(i).hex(), d) for i, d in hits])
        return answers


async def state_tx(tx: AsyncManagedTransaction) -> dict[str, Any]:
    [record] = await run(tx, STATE_RADII, default=DEFAULT_RADIUS)
    return dict(record)


async def _since_tx(tx: AsyncManagedTransaction, since: datetime) -> list[str]:
    return [r["value"] for r in await run(tx, SINCE, since=since)]


async def _every_tx(tx: AsyncManagedTransaction, after: str) -> list[str]:
    return [r["value"] for r in await run(tx, EVERY, after=after, page=PAGE)]


@dataclass(frozen=True, slots=True)
class Candidates:
    pdq: list[dict[str, Any]]  # the files' PDQ hashes: {file, value}
    exact: list[dict[str, Any]]  # exact matches on live lists: {file, version, algorithm, label}
    state: dict[str, Any]  # the references' state, as state_tx reads it


async def pdq_of_reports_tx(tx: AsyncManagedTransaction,
                            report_ids: Sequence[int]) -> Candidates:
    """What these reports' files may match (see PDQ_OF_REPORTS)."""
    [record] = await run(tx, PDQ_OF_REPORTS, ids=list(report_ids), default=DEFAULT_RADIUS)
    return Candidates(list(record["files"]), list(record["exact"]),
                      {k: record[k] for k in ("epoch", "size", "radii")})


async def near_pairs(db: Database, references: References, files: list[dict[str, Any]],
                     state: dict[str, Any]) -> list[dict[str, Any]]:
    """The near pairs ``{file, value, distance}`` of files' PDQ hashes (``{file, value}``, read
    with ``state`` by :func:`pdq_of_reports_tx`), for ``NEAR_OF_FILE``: searched before the
    write, off the event loop."""
    if not files:
        return []
    await references.sync(db, state)
    found = await asyncio.to_thread(references.near, [f["value"] for f in files])
    return [{"file": f["file"], "value": value, "distance": distance}
            for f, hits in zip(files, found, strict=True) for value, distance in hits]


async def match_near_tx(tx: AsyncManagedTransaction, near: list[dict[str, Any]], now: datetime,
                        version: str | None = None) -> int:
    if not near:
        return 0
    [record] = await run(tx, NEAR_LABELS, near=near, now=now, version=version,
                         default=DEFAULT_RADIUS)
    return int(record["matched"])


async def _files_page_tx(tx: AsyncManagedTransaction, after: str) -> list[dict[str, Any]]:
    return [dict(r) for r in await run(tx, FILES_PDQ, after=after, page=PAGE)]


async def match_version_near(db: Database, version_id: str, values: Sequence[str],
                             threshold: int, now: datetime) -> int:
    """Matches every file's PDQ hash against one version's PDQ entries (an import)."""
    hashes = list(dict.fromkeys(c for v in values if (c := _code(v)) is not None))
    if not hashes:
        return 0
    index = PdqIndex()
    index.add(range(len(hashes)), codes(hashes))
    matched, after = 0, ""
    while True:
        page = await db.read(_files_page_tx, after)
        if not page:
            return matched
        after = page[-1]["key"]
        found = await asyncio.to_thread(
            index.within, codes([bytes.fromhex(p["value"]) for p in page]), threshold)
        near = [{"file": file, "value": hashes[i].hex(), "distance": d}
                for p, hits in zip(page, found, strict=True) for i, d in hits
                for file in p["files"]]
        if near:
            matched += await db.write(match_near_tx, near, now, version_id)

