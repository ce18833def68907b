"""An agency's queue that explains itself: its referred reports ranked by weighted signals.

Volume overwhelms agencies, so, as AviaTor does, each report is scored by signals an
investigator can check, each with its weight, its value and a sentence saying why:

============================  =======  ==================================================
signal                        default  value (0 to 1)
============================  =======  ==================================================
``ESCALATION``                3        1 when the ESP escalated the report
``PRIORITY``                  2        P1 1, P2 0.6, P3 0.3, untriaged 0
``HASH_MATCHES``              3        the gravest live match on its files: A1 1, A2 and
                                       B1 0.8, B2 0.6, INTERPOL baseline 1, illegal under
                                       national law 0.8, other labels 0.5
``VICTIM_AGE``                2        the youngest victim: under 13 1, 13-15 0.7,
                                       16-17 0.5, not said 0
``RECENCY``                   1        halves every 14 whole days since it was submitted
``SHARED_IDENTIFIERS``        1.5      other reports the agency can see that share an
                                       identifier that is not common: 5 or more 1, else n/5
``PAST_OUTCOMES``             1        the agency's own recorded outcomes on those reports:
                                       an investigation, legal process, arrest or victim
                                       identified 1, received 0.3, declined kinds 0
============================  =======  ==================================================

The score is the sum of weight times value; ties go to the newer report, then the higher id.
Weights are per agency (``setAgencySignalWeights``), the defaults above otherwise.

**Under the agency's row rule.** Every fact is read with the agency's ``$rows``: only reports
it may see are ranked, and the shared-identifier and outcome signals count only other reports
it may see (submitted ones, through identifiers not common among them). A report it cannot see
changes no score, rank or sentence.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final

from neo4j import AsyncManagedTransaction

from graph.core.db import Database, run
from graph.core.errors import BadInput, NotFound
from graph.core.idempotency import Change, Replay, write_once
from graph.core.visibility import RowScope, counted_report, is_common, visible_report
from graph.matching.schemes import scheme_of

DEFAULT_WEIGHTS: Final[dict[str, float]] = {
    "ESCALATION": 3.0, "PRIORITY": 2.0, "HASH_MATCHES": 3.0, "VICTIM_AGE": 2.0,
    "RECENCY": 1.0, "SHARED_IDENTIFIERS": 1.5, "PAST_OUTCOMES": 1.0}
MAX_WEIGHT: Final = 100.0
CANDIDATES: Final = 5_000  # the agency's most recent reports the queue ranks
HALF_LIFE_DAYS: Final = 14.0
SHARED_FULL: Final = 5
PRIORITY_VALUE: Final = {"P1": 1.0, "P2": 0.6, "P3": 0.3}
GRAVITY: Final = {("INDUSTRY", "A1"): 1.0, ("INDUSTRY", "A2"): 0.8, ("INDUSTRY", "B1"): 0.8,
                  ("INDUSTRY", "B2"): 0.6, ("INTERPOL", "BASELINE"): 1.0,
                  ("INTERPOL", "NOT_BASELINE"): 0.0}
OUTCOME_VALUE: Final = {"INVESTIGATION_OPENED": 1.0, "LEGAL_PROCESS_SERVED": 1.0,
                        "ARREST": 1.0, "VICTIM_IDENTIFIED": 1.0, "RECEIVED": 0.3}

FACTS: Final = (
    "MATCH (r:Report) WHERE r.status = 'SUBMITTED' AND " + visible_report("r")
    + " WITH r ORDER BY r.finishedAt DESC, r.id DESC LIMIT $candidates"
    " RETURN r.id AS id, coalesce(r.escalated, false) AS escalated, r.priority AS priority,"
    " r.victims AS victims, r.finishedAt AS finishedAt,"
    " COLLECT { MATCH (r)-[:HAS_FILE]->(:File)-[:LABELLED]->(c:Classification)"
    "   WHERE c.source = 'MATCH' AND c.retiredAt IS NULL"
    "   RETURN c {.label, .scheme, .source, .by} } AS matches,"
    " COUNT { MATCH (r)-[:MENTIONS]->(i:Identifier)<-[:MENTIONS]-(o:Report)"
    "   WHERE o <> r AND " + counted_report("o") + " AND NOT " + is_common("i")
    + "   RETURN DISTINCT o } AS shared,"
    " COLLECT { MATCH (r)-[:MENTIONS]->(i:Identifier)<-[:MENTIONS]-(o:Report)"
    "   -[ref:REFERRED_TO]->(:Agency {id: $agencyId})"
    "   WHERE o <> r AND ref.lastOutcome IS NOT NULL AND " + counted_report("o")
    + "   AND NOT " + is_common("i")
    + "   RETURN DISTINCT ref.lastOutcome } AS outcomes"
)

WEIGHTS: Final = "MATCH (a:Agency {id: $agencyId}) RETURN a.signalWeights AS weights"
SET_WEIGHTS: Final = """
MATCH (a:Agency {id: $agencyId})
SET a.signalWeights = $weights, a.signalWeightsAt = $at, a.signalWeightsBy = $by
RETURN a.id AS id
"""


@dataclass(frozen=True, slots=True)
class Signal:
    name: str
    weight: float
    value: float
    explanation: str


@dataclass(frozen=True, slots=True)
class Ranked:
    report_id: int
    score: float
    signals: tuple[Signal, ...]


def weights_of(stored: str | None) -> dict[str, float]:
    """An agency's weights: its own over the defaults."""
    own = json.loads(stored) if stored else {}
    return {name: float(own.get(name, default)) for name, default in DEFAULT_WEIGHTS.items()}


def check_weights(weights: dict[str, float]) -> dict[str, float]:
    for name, weight in weights.items():
        if name not in DEFAULT_WEIGHTS:
            raise BadInput(f"unknown signal {name!r}: {', '.join(DEFAULT_WEIGHTS)}",
                           field="weights")
        if not math.isfinite(weight) or not 0 <= weight <= MAX_WEIGHT:
            raise BadInput(f"a weight is 0 to {MAX_WEIGHT:g}", field="weights")
    return weights


def _age(person: dict[str, Any], on: date) -> int | None:
    for key in ("age", "approximate_age"):
        if person.get(key) is not None:
            return int(person[key])
    born = person.get("date_of_birth")
    if born:
        try:
            birth = date.fromisoformat(str(born)[:10])
        except ValueError:
            return None
        return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    return None


def _victim_age(victims_json: str | None, on: date) -> tuple[float, str]:
    ages = [a for v in (json.loads(victims_json) if victims_json else [])
            if isinstance(v, dict) and (a := _age(v, on)) is not None]
    if not ages:
        return 0.0, "no victim's age was given"
    youngest = min(ages)
    value = 1.0 if youngest < 13 else 0.7 if youngest < 16 else 0.5 if youngest < 18 else 0.0
    return value, f"the youngest victim is {youngest}"


def _matches(matches: list[dict[str, Any]]) -> tuple[float, str]:
    if not matches:
        return 0.0, "no file matches a hash list or a labelled file"
    counted: dict[tuple[str, str], int] = {}
    for match in matches:
        key = (scheme_of(match) or "?", str(match["label"]))
        counted[key] = counted.get(key, 0) + 1
    value = max(GRAVITY.get(key, 0.8 if key[0].startswith("NATIONAL:")
                            and key[1] == "ILLEGAL" else 0.5) for key in counted)
    said = ", ".join(f"{n} {label} ({scheme})"
                     for (scheme, label), n in sorted(counted.items()))
    return value, f"{len(matches)} match" + ("es" if len(matches) != 1 else "") + f": {said}"


def rank(facts: list[dict[str, Any]], weights: dict[str, float], now: datetime) -> list[Ranked]:
    """Scores and orders reports from their facts (see the module for each signal)."""
    ranked = []
    for f in facts:
        finished: datetime = f["finishedAt"].to_native() if hasattr(
            f["finishedAt"], "to_native") else f["finishedAt"]
        days = max(0, (now - finished).days)  # whole days: a rank holds still within a day
        age_value, age_said = _victim_age(f["victims"], finished.date())
        match_value, match_said = _matches(f["matches"])
        shared = int(f["shared"])
        outcomes = sorted(set(f["outcomes"]))
        outcome_value = max((OUTCOME_VALUE.get(o, 0.0) for o in outcomes), default=0.0)
        values = {
            "ESCALATION": (1.0 if f["escalated"] else 0.0,
                           "the ESP escalated it" if f["escalated"] else "not escalated"),
            "PRIORITY": (PRIORITY_VALUE.get(f["priority"] or "", 0.0),
                         f"priority {f['priority']}" if f["priority"] else "not triaged"),
            "HASH_MATCHES": (match_value, match_said),
            "VICTIM_AGE": (age_value, age_said),
            "RECENCY": (round(0.5 ** (days / HALF_LIFE_DAYS), 4),
                        f"submitted {days} day" + ("s" if days != 1 else "") + " ago"),
            "SHARED_IDENTIFIERS": (min(1.0, shared / SHARED_FULL),
                                   f"shares identifiers with {shared} other report"
                                   + ("s" if shared != 1 else "") + " you can see"),
            "PAST_OUTCOMES": (outcome_value,
                              "you recorded " + ", ".join(outcomes) + " on reports sharing "
                              "its identifiers" if outcomes else
                              "no outcome recorded on reports sharing its identifiers"),
        }
        signals = tuple(Signal(name, weights[name], value, said)
                        for name, (value, said) in values.items())
        score = round(sum(s.weight * s.value for s in signals), 4)
        ranked.append((score, finished, int(f["id"]), signals))
    ranked.sort(key=lambda r: (-r[0], -r[1].timestamp(), -r[2]))
    return [Ranked(report_id, score, signals) for score, _, report_id, signals in ranked]


async def _stored_weights(tx: AsyncManagedTransaction, agency_id: str) -> str | None:
    """The agency's stored weights (JSON), or ``NotFound``."""
    found = await run(tx, WEIGHTS, agencyId=agency_id)
    if not found:
        raise NotFound(f"agency {agency_id} does not exist")
    stored: str | None = found[0]["weights"]
    return stored


async def _facts_tx(tx: AsyncManagedTransaction, rows: RowScope, agency_id: str,
                    threshold: int) -> tuple[str | None, list[dict[str, Any]]]:
    stored = await _stored_weights(tx, agency_id)
    facts = await run(tx, FACTS, rows=rows, agencyId=agency_id, threshold=threshold,
                      candidates=CANDIDATES)
    return stored, [dict(f) for f in facts]


async def queue(db: Database, agency_id: str, *, rows: RowScope,
                threshold: int) -> tuple[dict[str, float], list[Ranked]]:
    """The agency's reports it may see, ranked, with their signals and its weights."""
    stored, facts = await db.read(_facts_tx, rows, agency_id, threshold)
    weights = weights_of(stored)
    return weights, rank(facts, weights, datetime.now(UTC))


async def _set_tx(tx: AsyncManagedTransaction, agency_id: str, given: dict[str, float],
                  by: str) -> dict[str, float]:
    merged = {**weights_of(await _stored_weights(tx, agency_id)), **given}
    await run(tx, SET_WEIGHTS, agencyId=agency_id, weights=json.dumps(merged, sort_keys=True),
              at=datetime.now(UTC), by=by)
    return merged


async def set_weights(db: Database, agency_id: str, given: dict[str, float], *,
                      by: str, change: Change | None = None) -> dict[str, float]:
    """Sets some of an agency's weights (the rest keep theirs), read and written in one
    transaction (two admins at once lose neither's change); returns them all (replaying
    ``change``, as they were after it)."""
    done = await write_once(db, change, _set_tx, agency_id, check_weights(given), by,
                            target=lambda merged: json.dumps(merged, sort_keys=True))
    return weights_of(done.target) if isinstance(done, Replay) else done
