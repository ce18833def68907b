"""The per-request context: the Principal, the process's services, and fresh DataLoaders.

DataLoaders are built here for every request, never at module level: a shared loader would
cache one agency's reports for another. Each maps keys to values in key order, one Cypher round
trip per batch. The context also collects what the audit trail records: the reports the
response touched and the fields it denied.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response
from strawberry.dataloader import DataLoader

from authz.principal import Principal
from authz.roles import Role, Scope
from graph.core import loaders
from graph.core.db import Database
from graph.core.errors import Forbidden, TipgraphError, Unauthenticated
from graph.core.idempotency import Change, canonical
from graph.core.visibility import NO_REPORT, RowScope
from graph.identifiers import crossrefs
from graph.identifiers import loaders as identifier_loaders
from graph.referrals import agencies
from graph.referrals import loaders as referral_loaders
from graph.reports import loaders as report_loaders
from graph.reports.queries import WHOLE, Shape
from graph.reports.reporters import reporters_by_ids
from graph.triage import enrichment
from graph.triage import loaders as triage_loaders
from resolvers.services import Services

REPLAYS = ("Sending it again with the same idempotencyKey answers the first result and "
           "changes nothing (the same key for a different request is CONFLICT).")
K = TypeVar("K")
V = TypeVar("V")
Node = dict[str, Any]


def _loader(load: Callable[[Sequence[K]], Awaitable[Sequence[V]]]) -> DataLoader[K, V]:
    async def batch(keys: list[K]) -> Sequence[V]:
        return await load(keys)

    return DataLoader(load_fn=batch)


@dataclass(slots=True)
class Loaders:
    reports_by_id: DataLoader[int, Node | None]
    files_by_report_id: DataLoader[int, list[Node]]
    hashes_by_file_id: DataLoader[int, list[Node]]
    classifications_by_file_id: DataLoader[int, list[Node]]
    mentions_by_report_id: DataLoader[int, list[Node]]
    identifiers_by_id: DataLoader[str, Node | None]
    report_counts_by_identifier_id: DataLoader[str, int]
    reporters_by_id: DataLoader[str, Node | None]
    agencies_by_id: DataLoader[str, Node | None]
    jurisdictions_by_code: DataLoader[str, Node | None]
    referrals_by_report_id: DataLoader[int, list[Node]]
    notes_by_report_id: DataLoader[int, list[Node]]
    events_by_report_id: DataLoader[int, list[Node]]
    common_by_identifier_id: DataLoader[str, bool]
    enrichment_by_report_id: DataLoader[int, Node | None]
    jurisdictions_by_report_id: DataLoader[int, list[Node]]
    suggestion_by_report_id: DataLoader[int, Node | None]
    suggested_agencies_by_report_id: DataLoader[int, list[str]]
    bundles_by_id: DataLoader[str, Node | None]

    @classmethod
    def for_request(cls, db: Database, rows: RowScope, touched: set[int],
                    common_threshold: int, asked: set[int]) -> Loaders:
        async def visible_reports(ids: Sequence[int]) -> list[Node | None]:
            asked.update(ids)
            found = await report_loaders.reports_by_ids(db, ids, rows=rows)
            touched.update(node["id"] for node in found if node)
            return found

        return cls(
            reports_by_id=_loader(visible_reports),
            files_by_report_id=_loader(partial(report_loaders.files_by_report_ids, db)),
            hashes_by_file_id=_loader(partial(report_loaders.hashes_by_file_ids, db)),
            classifications_by_file_id=_loader(
                partial(report_loaders.classifications_by_file_ids, db)),
            mentions_by_report_id=_loader(partial(report_loaders.mentions_by_report_ids, db)),
            identifiers_by_id=_loader(
                partial(identifier_loaders.identifiers_by_ids, db, rows=rows)),
            report_counts_by_identifier_id=_loader(
                partial(identifier_loaders.report_counts_by_identifier_ids, db, rows=rows)),
            reporters_by_id=_loader(partial(reporters_by_ids, db)),
            agencies_by_id=_loader(partial(loaders.keyed, db, agencies.AGENCIES_BY_IDS,
                                           "agency")),
            jurisdictions_by_code=_loader(partial(loaders.keyed, db,
                                                  agencies.JURISDICTIONS_BY_CODES,
                                                  "jurisdiction")),
            referrals_by_report_id=_loader(partial(referral_loaders.referrals_by_report_ids, db,
                                                   rows=rows)),
            notes_by_report_id=_loader(partial(triage_loaders.notes_by_report_ids, db)),
            events_by_report_id=_loader(partial(triage_loaders.events_by_report_ids, db)),
            common_by_identifier_id=_loader(partial(loaders.keyed, db, crossrefs.COMMON_BY_IDS,
                                                    "common", threshold=common_threshold,
                                                    rows=rows)),
            enrichment_by_report_id=_loader(partial(loaders.keyed, db,
                                                    enrichment.JOBS_BY_REPORT_IDS, "job")),
            jurisdictions_by_report_id=_loader(partial(
                loaders.keyed_lists, db, enrichment.JURISDICTIONS_BY_REPORT_IDS,
                "jurisdictions")),
            suggestion_by_report_id=_loader(partial(
                loaders.keyed, db, enrichment.SUGGESTIONS_BY_REPORT_IDS, "suggestion")),
            suggested_agencies_by_report_id=_loader(partial(
                loaders.keyed_lists, db, enrichment.SUGGESTED_AGENCIES_BY_REPORT_IDS,
                "agencies")),
            bundles_by_id=_loader(partial(loaders.keyed, db, enrichment.BUNDLES_BY_IDS,
                                          "bundle", rows=rows)),
        )


@dataclass
class Context:
    request: Request
    response: Response | None
    services: Services
    principal: Principal | None
    auth_error: TipgraphError | None
    request_id: str
    token: str | None = None
    connection_params: dict[str, Any] | None = None  # graphql-transport-ws connection_init
    touched_reports: set[int] = field(default_factory=set)
    asked_reports: set[int] = field(default_factory=set)  # every report id looked up
    denied_fields: list[str] = field(default_factory=list)
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.fresh_loaders()

    def fresh_loaders(self) -> None:
        """New DataLoaders (empty caches) for the principal: each request, and each event a
        long-lived subscription delivers, reads the graph as it is now."""
        rows = self.principal.row_scope() if self.principal else NO_REPORT
        self.loaders = Loaders.for_request(self.services.db, rows, self.touched_reports,
                                           self.services.reads.common_identifier_reports,
                                           self.asked_reports)

    def authenticated(self) -> Principal:
        """The caller's Principal; ``UNAUTHENTICATED`` without a valid token."""
        if self.auth_error is not None:
            raise self.auth_error
        if self.principal is None:
            raise Unauthenticated("this operation needs a bearer token")
        return self.principal

    def require(self, scope: Scope, *roles: Role) -> Principal:
        """The caller, who must hold ``scope`` (and, when given, one of ``roles``)."""
        principal = self.authenticated()
        if roles:
            principal.require_role(*roles)
        principal.require(scope)
        return principal

    def mutating(self, principal: Principal) -> None:
        """Count a mutation against the caller's rate limit (``RATE_LIMITED`` past it)."""
        self.services.limiter.check("mutation", principal.subject)

    @staticmethod
    def change(principal: Principal, key: str | None, kind: str, *request: Any) -> Change | None:
        """The change a mutation makes with an idempotency ``key``, scoped to who makes it
        (role, ESP or agency, subject: one caller's key never answers another's request)."""
        return Change.of(Context.owner(principal), key, kind, canonical(list(request)))

    @staticmethod
    def owner(principal: Principal) -> str:
        """Whose something is (an idempotency key, a saved view): role, ESP or agency,
        subject."""
        return "/".join((principal.role.value, principal.esp_id or principal.agency_id or "",
                         principal.subject))

    def ahead(self, asked: set[str]) -> tuple[bool, bool] | None:
        """(files, mentions) to read below reports for the fields ``asked``; None when
        neither."""
        files, mentions = self._ahead(asked)
        return (files, mentions) if files or mentions else None

    def prime_tree(self, report_id: int, tree: dict[str, Any]) -> None:
        """The loaders below a report, from what a statement read with it
        (:func:`graph.reports.queries.tree_map`)."""
        self._prime(report_id, tree["files"], tree["mentions"])

    def _ahead(self, asked: set[str]) -> tuple[bool, bool]:
        """Whether the fields ``asked`` below a report read its files, and its mentions."""
        principal = self.principal
        files = bool(asked & {"files", "labelSummary"}) and principal is not None and (
            principal.has(Scope.FILES_READ))
        return files, "identifiers" in asked

    def _prime(self, report_id: int, files: list[Node] | None,
               mentions: list[Node] | None) -> None:
        if files is not None:
            self.loaders.files_by_report_id.prime(report_id, [tree["file"] for tree in files])
            for tree in files:
                self.loaders.hashes_by_file_id.prime(tree["file"]["id"], tree["hashes"])
                self.loaders.classifications_by_file_id.prime(tree["file"]["id"],
                                                              tree["classifications"])
        if mentions is not None:
            self.loaders.mentions_by_report_id.prime(report_id, mentions)

    async def read_report_ahead(self, report_id: int, asked: set[str],
                                shape: Shape = WHOLE) -> None:
        """One report the reader may see, with what ``asked`` needs below it, in one round
        trip: the report's loader and those below it are primed (as :meth:`prime_tree`)."""
        files, mentions = self._ahead(asked)
        if (not (files or mentions) and shape.report is None) or report_id in self.asked_reports:
            return
        row = await report_loaders.report_with_tree(
            self.services.db, report_id, rows=self.principal.row_scope() if self.principal
            else NO_REPORT, files=files, mentions=mentions, shape=shape)
        self.asked_reports.add(report_id)  # as the report loader notes what it was asked
        node = row["report"]
        if node is not None:
            self.touched(node)
            self._prime(report_id, row["files"], row["mentions"])
        self.loaders.reports_by_id.prime(report_id, node)

    def touched(self, node: Node) -> Node:
        """Note a report the response carries (for the audit trail); returns it."""
        self.touched_reports.add(node["id"])
        return node

    async def registered_esp(self) -> tuple[Principal, str]:
        """The caller as a registered ESP: ``FORBIDDEN`` for other roles or unknown ESPs."""
        principal = self.authenticated()
        if principal.role is not Role.ESP or principal.esp_id is None:
            raise Forbidden("this operation is for ESPs")
        if not await self.services.reporters.is_registered(principal.esp_id):
            raise Forbidden(f"ESP {principal.esp_id!r} is not registered")
        return principal, principal.esp_id
