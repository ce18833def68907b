"""The one row rule: which reports a principal may see, as a Cypher predicate on a report.

Every query that reaches a report concatenates :data:`VISIBLE_REPORT` (or
:func:`visible_report` for another variable) into its ``WHERE`` and passes ``$scope``
(``Principal.row_scope()``), so no path can forget it:

- ``all``: analysts see every report;
- ``reporterId``: an ESP sees its own reports;
- ``agencyId``: law enforcement sees submitted reports referred to its agency, or every
  referred report when its agency ``seesAll``.

**Noninterference.** Whatever a reader is told about other reports (counts, "common" flags,
scores, bundle sizes, first-seen times) is computed over the reports it may see, and only
submitted reports count (:func:`counted_report`): an ESP cannot make an identifier common by
opening and cancelling reports, and no number moves when a report the reader may not see
arrives. A value that cannot be computed that way is shown only to readers who see every
report (``$scope.all``), and its field says so.

Example::

    REPORT_IDS: Final = "MATCH (r:Report) WHERE " + VISIBLE_REPORT + " RETURN r.id"
"""

from __future__ import annotations

from typing import Final


def visible_report(r: str) -> str:
    """The row rule on the report bound to ``r``."""
    return f"""(
  $scope.all
  OR ($scope.reporterId IS NOT NULL AND {r}.reporterId = $scope.reporterId)
  OR ($scope.agencyId IS NOT NULL AND {r}.status = 'SUBMITTED' AND (
        EXISTS {{ MATCH ({r})-[:REFERRED_TO]->(:Agency {{id: $scope.agencyId}}) }}
        OR (EXISTS {{ MATCH (:Agency {{id: $scope.agencyId, seesAll: true}}) }}
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
