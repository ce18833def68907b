"""Cross-references: the reports that share identifiers with a report, scored and explained.

An identifier mentioned by more than ``common_threshold`` submitted reports the reader may see
(a carrier-grade NAT address, a viral image) is *common*: left out unless asked for, and
weighted down when included. The row rule applies to the other reports and to every count, so
a reader never learns of one it may not see.

Scores add one weight per shared identifier: an ESP account, an e-mail or the same file hash
count most, an IP address least. The explanation names kinds and counts, never values (values
can be personal data; ``shared`` carries them under the field rules).
"""

from __future__ import annotations

from typing import Any, Final

from neo4j import AsyncManagedTransaction

from graph.core.db import Database, run
from graph.core.visibility import COUNTED_REPORT, RowScope, is_common
from graph.identifiers.identity import FACTS
from graph.reports.queries import REPORT_FIELDS

# The weights are facts of each kind (graph.identifiers.identity.FACTS).
WEIGHTS: Final[dict[str, float]] = {kind.value: facts.weight for kind, facts in FACTS.items()}
COMMON_FACTOR: Final = 0.1
NAMES: Final[dict[str, tuple[str, str]]] = {
    kind.value: (facts.singular, facts.plural) for kind, facts in FACTS.items()}


def score_description() -> str:
    """The score's rule in words, from the same facts (the GraphQL field's description)."""
    by_weight: dict[float, list[str]] = {}
    for facts in FACTS.values():
        by_weight.setdefault(facts.weight, []).append(facts.plural)
    parts = [(", ".join(names[:-1]) + " and " if len(names) > 1 else "")
             + f"{names[-1]} weigh {weight:g}"
             for weight, names in sorted(by_weight.items(), reverse=True)]
    return ("The sum of one weight per shared identifier: " + ", ".join(parts)
            + f"; common ones times {COMMON_FACTOR:g}.")

# "Common" and the other reports are counted under the reader's row rule, over submitted
# reports only (graph/core/visibility.py): a report the reader may not see moves no score. Counting
# stops past the threshold, so a supernode costs no more than a small identifier; scores and
# the page cut are in Cypher: only ``first`` rows come back.
CROSS_REFERENCES: Final = (
    "MATCH (origin:Report {id: $id})-[:MENTIONS]->(i:Identifier)"
    " WITH DISTINCT i WITH i, " + is_common("i") + " AS common"
    " WHERE $includeCommon OR NOT common"
    " MATCH (i)<-[:MENTIONS]-(r:Report) WHERE r.id <> $id AND " + COUNTED_REPORT
    + " WITH DISTINCT r, i, common"
    " WITH r, collect({identifier: i {.id, .kind, .value, .scope}, common: common}) AS shared,"
    " sum(coalesce($weights[i.kind], 0.5) * CASE WHEN common THEN $commonFactor ELSE 1.0 END)"
    " AS score"
    " ORDER BY score DESC, r.id LIMIT $first"
    " RETURN " + REPORT_FIELDS + " AS report, shared, score"
)

COMMON_BY_IDS: Final = (
    "UNWIND $ids AS id OPTIONAL MATCH (i:Identifier {id: id})"
    " RETURN id, i IS NOT NULL AND " + is_common("i") + " AS common"
)


def explanation(shared: list[dict[str, Any]]) -> str:
    """'Shares 1 e-mail address and 2 file hashes (the same files); common: 1 IP address.'"""
    def phrase(items: list[dict[str, Any]]) -> str:
        counts: dict[str, int] = {}
        for item in items:
            kind = item["identifier"]["kind"]
            counts[kind] = counts.get(kind, 0) + 1
        parts = [f"{n} {NAMES.get(k, (k, k))[0 if n == 1 else 1]}"
                 for k, n in sorted(counts.items(), key=lambda kv: (-WEIGHTS.get(kv[0], 0), kv[0]))]
        return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]

    distinctive = [s for s in shared if not s["common"]]
    common = [s for s in shared if s["common"]]
    text = f"Shares {phrase(distinctive)}" if distinctive else "Shares only common identifiers"
    if common:
        text += f"; common: {phrase(common)}"
    return text + "."


def params(report_id: int, *, rows: RowScope, threshold: int, include_common: bool,
           first: int) -> dict[str, Any]:
    """The parameters of :data:`CROSS_REFERENCES`."""
    return {"id": report_id, "rows": rows, "threshold": threshold,
            "includeCommon": include_common, "first": first, "weights": WEIGHTS,
            "commonFactor": COMMON_FACTOR}


async def _tx(tx: AsyncManagedTransaction, params: dict[str, Any]) -> list[dict[str, Any]]:
    rows = [dict(record) for record in await run(tx, CROSS_REFERENCES, **params)]
    for row in rows:
        row["score"] = round(row["score"], 3)
        row["explanation"] = explanation(row["shared"])
    return rows


async def cross_references(db: Database, report_id: int, *, rows: RowScope,
                           threshold: int, include_common: bool,
                           first: int) -> list[dict[str, Any]]:
    """The ``first`` best-scoring visible reports sharing identifiers with ``report_id``."""
    return await db.read(_tx, params(report_id, rows=rows, threshold=threshold,
                                     include_common=include_common, first=first))
