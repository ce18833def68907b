"""The one row rule: which reports a principal may see, as a Cypher predicate on ``r``.

Every query that reaches a report concatenates :data:`VISIBLE_REPORT` into its ``WHERE`` and
passes ``$scope`` (``Principal.row_scope()``), so no path can forget it:

- ``all``: analysts see every report;
- ``reporterId``: an ESP sees its own reports;
- ``agencyId``: law enforcement sees submitted reports referred to its agency, or every
  referred report when its agency ``seesAll``.

Example::

    REPORT_IDS: Final = "MATCH (r:Report) WHERE " + VISIBLE_REPORT + " RETURN r.id"
"""

from __future__ import annotations

from typing import Final

VISIBLE_REPORT: Final = """(
  $scope.all
  OR ($scope.reporterId IS NOT NULL AND r.reporterId = $scope.reporterId)
  OR ($scope.agencyId IS NOT NULL AND r.status = 'SUBMITTED' AND (
        EXISTS { MATCH (r)-[:REFERRED_TO]->(:Agency {id: $scope.agencyId}) }
        OR (EXISTS { MATCH (:Agency {id: $scope.agencyId, seesAll: true}) }
            AND EXISTS { MATCH (r)-[:REFERRED_TO]->(:Agency) })))
)"""

# The status a reader sees: an open report past its deadline is expired even before the sweep.
EFFECTIVE_STATUS: Final = (
    "CASE WHEN r.status = 'OPEN' AND r.expiresAt < datetime() THEN 'EXPIRED' ELSE r.status END"
)
