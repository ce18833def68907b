"""The one row rule: which reports a principal may see, as a Cypher predicate on a report.

Every query that reaches a report concatenates :data:`VISIBLE_REPORT` (or
:func:`visible_report` for another variable) into its ``WHERE`` and passes ``$rows``, a
:class:`RowScope` (``Principal.row_scope()``; ``graph.core.db.run`` turns it into the map the
rule reads):

- ``sees_all`` (``$rows.all``): analysts see every report;
- ``reporter_id``: an ESP sees its own reports;
- ``agency_id``: law enforcement sees submitted reports referred to its agency, or every
  referred report when its agency ``seesAll``.

A statement that matches a report without the rule is named in :data:`ROW_RULE_EXEMPTIONS`
with its reason; ``tests/test_row_rule.py`` reads every statement under ``graph/`` and holds
both to it.

**Noninterference.** Whatever a reader is told about other reports (counts, "common" flags,
scores, bundle sizes, first-seen times) is computed over the reports it may see, and only
submitted reports count (:func:`counted_report`): an ESP cannot make an identifier common by
opening and cancelling reports, and no number moves when a report the reader may not see
arrives. A value that cannot be computed that way is shown only to readers who see every
report (``$rows.all``), and its field says so.

Example::

    >>> RowScope(agency_id="icac-ny").cypher()
    {'all': False, 'reporterId': None, 'agencyId': 'icac-ny'}
    >>> "$rows.all" in "MATCH (r:Report) WHERE " + VISIBLE_REPORT
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final


@dataclass(frozen=True, slots=True)
class RowScope:
    """Which reports a reader may see: the parameters of the one row rule.

    At most one is set: an analyst's ``sees_all``, an ESP's ``reporter_id``, or a law
    enforcement agency's ``agency_id``. With none set (auditors, admins, no token) the reader
    sees no report.
    """

    sees_all: bool = False
    reporter_id: str | None = None
    agency_id: str | None = None

    def __post_init__(self) -> None:
        if self.sees_all + (self.reporter_id is not None) + (self.agency_id is not None) > 1:
            raise ValueError("a row scope names one kind of reader")

    def cypher(self) -> dict[str, Any]:
        """The ``$rows`` map the rule reads."""
        return {"all": self.sees_all, "reporterId": self.reporter_id, "agencyId": self.agency_id}


EVERY_REPORT: Final = RowScope(sees_all=True)  # analysts, and jobs acting for the service
NO_REPORT: Final = RowScope()


def visible_report(r: str) -> str:
    """The row rule on the report bound to ``r``."""
    return f"""(
  $rows.all
  OR ($rows.reporterId IS NOT NULL AND {r}.reporterId = $rows.reporterId)
  OR ($rows.agencyId IS NOT NULL AND {r}.status = 'SUBMITTED' AND (
        EXISTS {{ MATCH ({r})-[:REFERRED_TO]->(:Agency {{id: $rows.agencyId}}) }}
        OR (EXISTS {{ MATCH (:Agency {{id: $rows.agencyId, seesAll: true}}) }}
            AND EXISTS {{ MATCH ({r})-[:REFERRED_TO]->(:Agency) }})))
)"""


def counted_report(r: str) -> str:
    """A report that counts toward what a reader is told of others: submitted and visible."""
    return f"({r}.status = 'SUBMITTED' AND {visible_report(r)})"


def is_common(i: str) -> str:
    """The identifier ``i`` is named by more than ``$threshold`` counted reports.

    Counting stops at ``$threshold + 1``, so a supernode costs no more than a small identifier.
    """
    return (f"COUNT {{ MATCH ({i})<-[:MENTIONS]-(common:Report)"
            f" WHERE {counted_report('common')}"
            " WITH DISTINCT common LIMIT $threshold + 1 RETURN common } > $threshold")


def seen(i: str) -> str:
    """``CALL`` subquery giving ``degree`` (the counted reports naming ``i``) and
    ``firstSeenAt`` (the earliest report the reader may see that names it)."""
    return (f"CALL ({i}) {{ MATCH ({i})<-[:MENTIONS]-(seen:Report)"
            f" WHERE {visible_report('seen')} WITH DISTINCT seen"
            " RETURN count(CASE WHEN seen.status = 'SUBMITTED' THEN 1 END) AS degree,"
            " min(coalesce(seen.finishedAt, seen.openedAt)) AS firstSeenAt }")


VISIBLE_REPORT: Final = visible_report("r")
COUNTED_REPORT: Final = counted_report("r")

# The status a reader sees: an open report past its deadline is expired even before the sweep.
EFFECTIVE_STATUS: Final = (
    "CASE WHEN r.status = 'OPEN' AND r.expiresAt < datetime() THEN 'EXPIRED' ELSE r.status END"
)


# Statements that match a report without the row rule, each with the reason it needs none.
# tests/test_row_rule.py reads every statement under graph/ and fails on one that matches
# ``:Report`` without the rule and is not named here (and on a name here that no longer applies).
_ESP_DOOR = ("the ESP door: keyed by the submitting ESP's own reporterId, so an ESP reaches only "
             "its own reports")
_BELOW = ("reads below a report the caller already passed the row rule for (a DataLoader keyed "
          "by report ids that came from a ruled read)")
_LOCKED = "a write after a statement in the same transaction locked the report under the rule"
_JOB = "a background job or migration acting for the service itself, not for a reader"
_TOOL = ("an operator's command-line tool checking the whole database (a count, no report "
         "content), never answering a reader")
ROW_RULE_EXEMPTIONS: Final[Mapping[str, str]] = {
    "graph.reports.reporters:REAL_REPORTS": _TOOL,
    "graph.ops.backup:LABELLED": ("an operator's backup and restore: every node, for the "
                                  "digests a restore is checked against; never a reader's"),
    "graph.reports.intake.writes:CREATE_REPORT": _ESP_DOOR,
    "graph.reports.intake.writes:REPORT_BY_IDEMPOTENCY_KEY": _ESP_DOOR,
    "graph.reports.intake.writes:LOCK_OWN_REPORT": _ESP_DOOR,
    "graph.reports.intake.writes:CHANGE_BY_KEY": _ESP_DOOR + " (the key is scoped to the ESP)",
    "graph.reports.intake.writes:RECORD_CHANGE": _LOCKED,
    "graph.reports.intake.writes:ADD_FILES": _ESP_DOOR,
    "graph.reports.intake.writes:FILE_DETAILS": _ESP_DOOR,
    "graph.reports.intake.writes:FILE_OF_REPORT": _ESP_DOOR,
    "graph.reports.intake.writes:FINISH_REPORT": _ESP_DOOR,
    "graph.reports.intake.writes:CANCEL_REPORT": _ESP_DOOR,
    "graph.reports.intake.bulk:BULK_CREATE": _JOB + " (bulk loads: the demo seed, benchmarks)",
    "graph.reports.intake.writes:SWEEP_EXPIRED": _JOB + " (expiring unfinished reports)",
    "graph.reports.queries:FILES_BY_REPORT_IDS": _BELOW,
    "graph.reports.queries:MENTIONS_BY_REPORT_IDS": _BELOW,
    "graph.triage.notes:NOTES_BY_REPORT_IDS": _BELOW + "; notes are for analysts only",
    "graph.triage.service:EVENTS_BY_REPORT_IDS": _BELOW + "; history_for filters by reader",
    "graph.triage.enrichment:JURISDICTIONS_BY_REPORT_IDS": _BELOW,
    "graph.triage.enrichment:SUGGESTIONS_BY_REPORT_IDS": _BELOW
    + "; the field is shown only to readers who see every report",
    "graph.triage.enrichment:SUGGESTED_AGENCIES_BY_REPORT_IDS": _BELOW + "; analysts only",
    "graph.referrals.packages.content:GEOLOCATIONS_BY_IDENTIFIER_IDS": _BELOW
    + " (the package's report, read under the agency's rule)",
    "graph.links.walks:REPORT_DEGREES": _BELOW + " (the walk's start, found by REPORTS_BY_IDS)",
    "graph.links.walks:LINKS_BETWEEN": _BELOW + " (REPORTS_BY_IDS, in the same transaction)",
    "graph.links.walks:_MENTIONED": _BELOW + " (a walk's frontier: reports it reached under the "
    "rule; the statements it begins count under the rule)",
    "graph.referrals.agencies:CREATE_REFERRAL": _LOCKED + " (REFER_REPORT)",
    "graph.referrals.outcomes:CREATE_OUTCOME": _LOCKED + " (LOCK_REFERRAL)",
    "graph.reports.retention:SET_HOLD": _LOCKED + " (HOLD)",
    "graph.reports.retention:RELEASE_HOLD": _LOCKED + " (HOLD)",
    "graph.triage.service:_decision": _LOCKED + " (LOCK_VISIBLE_REPORT)",
    "graph.triage.service:SET_PRIORITY": _LOCKED + " (LOCK_VISIBLE_REPORT; built by _decision)",
    "graph.triage.service:SET_DISPOSITION": _LOCKED + " (LOCK_VISIBLE_REPORT; built by _decision)",
    "graph.triage.enrichment:OVERRIDE": "an analyst's write (report:triage; analysts see every "
    "report), after the resolver found the report through the ruled read",
    "graph.reports.retention:DUE": _JOB + " (purging content past preserveUntil)",
    "graph.reports.retention:MARK_PURGED": _JOB + " (purging content past preserveUntil)",
    "graph.triage.enrichment:WRITE": _JOB + " (the enrichment worker sees every report)",
    "graph.triage.enrichment:PREVIOUS_SUGGESTIONS": _JOB + " (the enrichment worker)",
    "graph.matching.hashlists:MATCH_REPORTS": _JOB + " (the enrichment worker labels the "
    "matches it found; NEAR_OF_FILE within)",
    "graph.matching.near:PDQ_OF_REPORTS": _JOB + " (the enrichment worker reads what each "
    "finished report's files may match)",
    "graph.matching.near:NEAR_OF_FILE": _JOB + " (the enrichment worker and a list's import "
    "label near duplicates; what the earlier report is shows only in basisForAll, which "
    "only readers who see every report are shown)",
    "graph.matching.near:NEAR_LABELS": _JOB + " (a list's import; NEAR_OF_FILE within)",
    "graph.identifiers.keyed_ids:SET_IDS": _JOB + " (re-keying identifier ids)",
    "graph.demo.seed:SUGGESTED": _JOB + " (the demo seed)",
    "graph.triage.queue:ORDER_INDEXES": "index hints for the queue's order, not "
    "statements; build_query joins them to the ruled FILTER",
    "graph.statistics.cells:REPORT_ROWS": "published statistics: aggregates of every submitted "
    "report by design, protected jointly (graph.statistics.cells; README, who sees what)",
    "graph.statistics.cells:INCIDENTS": "published statistics (as REPORT_ROWS)",
    "graph.statistics.cells:REFERRAL_OUTCOMES": "published statistics (as REPORT_ROWS)",
    "graph.statistics.cells:LABEL_ROWS": "published statistics (as REPORT_ROWS)",
    "graph.statistics.cells:MATCH_ROWS": "published statistics (as REPORT_ROWS)",
}
