"""Named Cypher for reading reports, files and their identifiers (the intake's writes are in
:mod:`graph.reports.intake.writes`).

Batch reads keep key order: ``UNWIND $ids AS id OPTIONAL MATCH ... RETURN id, ...``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final, LiteralString

from graph.core.visibility import COUNTED_REPORT, EFFECTIVE_STATUS, VISIBLE_REPORT

REPORT_FIELDS: Final = "r {.*, status: " + EFFECTIVE_STATUS + "}"
PROPERTY: Final = re.compile(r"[A-Za-z][A-Za-z0-9]{0,63}\Z")


@dataclass(frozen=True, slots=True)
class Shape:
    """The stored properties a read needs of each report and each file; ``None``: all of them.
    A narrower shape moves fewer values (each temporal one costs the driver to decode)."""

    report: frozenset[str] | None = None
    file: frozenset[str] | None = None
    mention: frozenset[str] | None = None  # of each MENTIONS relationship
    label: frozenset[str] | None = None  # of each file's Classification


WHOLE: Final = Shape()


def _properties(names: Iterable[str]) -> str:
    chosen = sorted({"id", *names})
    if not all(PROPERTY.match(name) for name in chosen):
        raise ValueError(f"not a property name: {chosen}")
    return ", ".join(f".{name}" for name in chosen)


@functools.lru_cache(maxsize=256)
def report_projection(names: frozenset[str] | None) -> LiteralString:
    """``REPORT_FIELDS``, or only ``names`` (and the id and effective status) of the report."""
    if names is None:
        return REPORT_FIELDS
    return "r {" + _properties(names - {"status"}) + ", status: " + EFFECTIVE_STATUS + "}"


@functools.lru_cache(maxsize=256)
def file_projection(names: frozenset[str] | None) -> LiteralString:
    return "f {.*}" if names is None else "f {" + _properties(names) + "}"


@functools.lru_cache(maxsize=256)
def label_projection(names: frozenset[str] | None) -> LiteralString:
    return "c {.*}" if names is None else "c {" + _properties(names) + "}"


@functools.lru_cache(maxsize=256)
def mention_row(names: frozenset[str] | None) -> LiteralString:
    if names is None:
        return MENTION_ROW
    chosen = sorted({"role", *names})
    if not all(PROPERTY.match(name) for name in chosen):
        raise ValueError(f"not a property name: {chosen}")
    return ("{mention: m {" + ", ".join(f".{name}" for name in chosen)
            + "}, identifier: i {.id, .kind, .value, .scope}}")


def present(node: dict[str, Any] | None) -> dict[str, Any] | None:
    """A narrow projection's map as ``properties()`` would give it: Neo4j stores no nulls, so a
    property the node lacks is left out rather than given as ``None``."""
    return None if node is None else {k: v for k, v in node.items() if v is not None}

# -- reads ---------------------------------------------------------------------------------------

REPORTS_BY_IDS: Final = (
    "UNWIND $ids AS id OPTIONAL MATCH (r:Report {id: id}) WHERE " + VISIBLE_REPORT
    + " RETURN id, CASE WHEN r IS NULL THEN null ELSE " + REPORT_FIELDS + " END AS report"
)

IDENTIFIER_REPORT_PAGE: Final = (
    "MATCH (i:Identifier {id: $identifierId})"
    " CALL (i) { MATCH (r:Report)-[:MENTIONS]->(i) WHERE " + VISIBLE_REPORT
    + " RETURN count(DISTINCT r) AS total }"
    " CALL (i) { MATCH (r:Report)-[:MENTIONS]->(i) WHERE " + VISIBLE_REPORT
    + " AND ($before IS NULL OR r.id < $before)"
    " WITH DISTINCT r ORDER BY r.id DESC LIMIT $limit"
    " RETURN collect(" + REPORT_FIELDS + ") AS page }"
    " RETURN total, page"
)

# What a file's hash and a report's mention look like, and the orders they come in: shared by
# the level-by-level statements below and the read-ahead (tree_columns, tree_map), so both
# give the same.
HASH_ROW: Final = "{algorithm: i.scope, value: i.value, identifierId: i.id, source: h.source}"
MENTION_ROW: Final = "{mention: properties(m), identifier: i {.id, .kind, .value, .scope}}"
FILE_ORDER: Final = "f.id"
HASH_ORDER: Final = "i.scope"
LABEL_ORDER: Final = "c.at, c.id"  # matches made together are ordered by id
MENTION_ORDER: Final = "i.kind, i.value, m.role"

FILES_BY_REPORT_IDS: Final = (
    "UNWIND $ids AS id OPTIONAL MATCH (:Report {id: id})-[:HAS_FILE]->(f:File)"
    " WITH id, f ORDER BY " + FILE_ORDER + " RETURN id, collect(f {.*}) AS files")

HASHES_BY_FILE_IDS: Final = (
    "UNWIND $ids AS id OPTIONAL MATCH (:File {id: id})-[h:HAS_HASH]->(i:Identifier)"
    " WITH id, h, i ORDER BY " + HASH_ORDER
    + " RETURN id, collect(CASE WHEN i IS NULL THEN null ELSE " + HASH_ROW + " END) AS hashes")

CLASSIFICATIONS_BY_FILE_IDS: Final = (
    "UNWIND $ids AS id OPTIONAL MATCH (:File {id: id})-[:LABELLED]->(c:Classification)"
    " WITH id, c ORDER BY " + LABEL_ORDER + " RETURN id, collect(c {.*}) AS classifications")

MENTIONS_BY_REPORT_IDS: Final = (
    "UNWIND $ids AS id OPTIONAL MATCH (:Report {id: id})-[m:MENTIONS]->(i:Identifier)"
    " WITH id, m, i ORDER BY " + MENTION_ORDER
    + " RETURN id, collect(CASE WHEN i IS NULL THEN null ELSE " + MENTION_ROW
    + " END) AS mentions")

# Below reports the caller already saw (a ruled read gave their ids): each report's files with
# their hashes and labels, and its mentions, in one statement, in the orders of the four
# statements above (so that the API's DataLoaders can be primed with exactly what they would
# have read, one round trip instead of four).
def _tree_files(files: LiteralString, labels: LiteralString) -> LiteralString:
    return (
        "CASE WHEN r IS NULL OR NOT $files THEN null ELSE COLLECT {"
        " MATCH (r)-[:HAS_FILE]->(f:File) WITH f ORDER BY " + FILE_ORDER
        + " RETURN {file: " + files + ","
        " hashes: COLLECT { MATCH (f)-[h:HAS_HASH]->(i:Identifier) WITH h, i ORDER BY "
        + HASH_ORDER + " RETURN " + HASH_ROW + " },"
        " classifications: COLLECT { MATCH (f)-[:LABELLED]->(c:Classification) WITH c ORDER BY "
        + LABEL_ORDER + " RETURN " + labels + " }} } END")


def _tree_mentions(mentions: LiteralString) -> LiteralString:
    return ("CASE WHEN r IS NULL OR NOT $mentions THEN null ELSE COLLECT {"
            " MATCH (r)-[m:MENTIONS]->(i:Identifier) WITH m, i ORDER BY " + MENTION_ORDER
            + " RETURN " + mentions + " } END")


@functools.lru_cache(maxsize=256)
def tree_columns(shape: Shape) -> LiteralString:
    """The read-ahead's columns below report ``r``: its files with hashes and labels, and its
    mentions, each projected as ``shape`` says."""
    return (" " + _tree_files(file_projection(shape.file), label_projection(shape.label))
            + " AS files, " + _tree_mentions(mention_row(shape.mention)) + " AS mentions")


@functools.lru_cache(maxsize=256)
def tree_map(shape: Shape) -> LiteralString:
    """The same as one map value (``{files, mentions}``), for a statement that collects its
    reports (the triage page reads its page and what is below it in one round trip)."""
    return ("{files: " + _tree_files(file_projection(shape.file), label_projection(shape.label))
            + ", mentions: " + _tree_mentions(mention_row(shape.mention)) + "}")


def present_tree(tree: dict[str, Any], shape: Shape) -> dict[str, Any]:
    """A read-ahead's narrowed files and mentions as the level-by-level reads would give
    them (``properties()``: no null entries)."""
    if (shape.file is not None or shape.label is not None) and tree.get("files"):
        tree["files"] = [
            {**t, "file": present(t["file"]) if shape.file is not None else t["file"],
             "classifications": [present(c) for c in t["classifications"]]
             if shape.label is not None else t["classifications"]}
            for t in tree["files"]]
    if shape.mention is not None and tree.get("mentions"):
        tree["mentions"] = [{**m, "mention": present(m["mention"])} for m in tree["mentions"]]
    return tree


# One report under the row rule, with what the answer needs below it: one round trip.
@functools.lru_cache(maxsize=256)
def report_with_tree(shape: Shape) -> LiteralString:
    return ("OPTIONAL MATCH (r:Report {id: $id}) WHERE " + VISIBLE_REPORT
            + " RETURN CASE WHEN r IS NULL THEN null ELSE " + report_projection(shape.report)
            + " END AS report,"
            + tree_columns(shape))


# An identifier exists for a reader only through a report the reader may see.
IDENTIFIERS_BY_IDS: Final = (
    "UNWIND $ids AS id OPTIONAL MATCH (i:Identifier {id: id})"
    " WHERE EXISTS { MATCH (r:Report)-[:MENTIONS]->(i) WHERE " + VISIBLE_REPORT + " }"
    " RETURN id, i {.id, .kind, .value, .scope} AS identifier"
)

IDENTIFIER_BY_KEY: Final = (
    "OPTIONAL MATCH (i:Identifier {key: $key})"
    " WHERE EXISTS { MATCH (r:Report)-[:MENTIONS]->(i) WHERE " + VISIBLE_REPORT + " }"
    " RETURN i {.id, .kind, .value, .scope} AS identifier"
)

REPORT_COUNTS_BY_IDENTIFIER_IDS: Final = (
    "UNWIND $ids AS id OPTIONAL MATCH (i:Identifier {id: id})"
    " CALL (i) { OPTIONAL MATCH (r:Report)-[:MENTIONS]->(i) WHERE " + COUNTED_REPORT
    + " RETURN count(DISTINCT r) AS n }"
    " RETURN id, n"
)

