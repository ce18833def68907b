"""Hash lists through GraphQL, for admins: import a version, retire one, list them.

The same as ``tipgraph hashlist import|retire|list`` (graph.matching.hashlists), audited like
every mutation. A list through GraphQL is bounded by the request body
(``TIPGRAPH_MAX_BODY_BYTES``, 2 MiB by default: some 20,000 lines); larger lists go through
the command line.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from authz.roles import Role, Scope
from graph.matching import hashlists as service
from graph.matching.pdq_index import DEFAULT_RADIUS
from resolvers.build import native, required
from resolvers.context import REPLAYS, Context


@strawberry.type(description=(
    "One version of a hash list: who imported it, when, from which organisation, under which "
    "scheme, and how many files its entries label."))
class HashListVersion:
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field(description="NAME@VERSION.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.row["id"]))

    @strawberry.field
    def name(self) -> str:
        return str(self.row["name"])

    @strawberry.field
    def version(self) -> str:
        return str(self.row["version"])

    @strawberry.field(description="The organisation that classified the material.")
    def source(self) -> str:
        return str(self.row["source"])

    @strawberry.field(description="The classification scheme of its labels.")
    def scheme(self) -> str:
        return str(self.row["scheme"])

    @strawberry.field(description="PDQ entries match files within this Hamming distance.")
    def pdq_threshold(self) -> int:
        return int(self.row.get("pdqThreshold") or DEFAULT_RADIUS)

    @strawberry.field
    def entries(self) -> int:
        return int(self.row["entries"])

    @strawberry.field(description="Labels its matches gave files (retired ones included).")
    def matches(self) -> int:
        return int(self.row.get("matches") or 0)

    @strawberry.field
    def imported_at(self) -> datetime:
        return required(self.row["importedAt"])

    @strawberry.field
    def imported_by(self) -> str:
        return str(self.row["importedBy"])

    @strawberry.field
    def retired_at(self) -> datetime | None:
        return native(self.row.get("retiredAt"))

    @strawberry.field
    def retired_by(self) -> str | None:
        return self.row.get("retiredBy")


@strawberry.input(description="A version of a hash list: its lines are algorithm,value,label.")
class ImportHashListInput:
    name: str
    version: str
    source: str = strawberry.field(description="The organisation that classified it.")
    scheme: str = strawberry.field(description="INDUSTRY, INTERPOL, NATIONAL:CC or ANALYST.")
    csv: str = strawberry.field(description=(
        "Lines of algorithm,value,label (a header line is allowed); every line must be good "
        "or nothing is imported."))
    pdq_threshold: int = strawberry.field(default=DEFAULT_RADIUS, description=(
        "PDQ entries match files within this Hamming distance (bits of 256; 31 by default, "
        "PDQ's published threshold)."))


async def _by_id(info: Info[Context, None], version_id: str) -> HashListVersion:
    name = version_id.rsplit("@", 1)[0]
    [row] = [v for v in await service.versions(info.context.services.db, name)
             if v["id"] == version_id]
    return HashListVersion(row=row)


@strawberry.type
class HashListMutations:
    @strawberry.mutation(description=(
        "Import a version of a hash list and match every file against it (exact hashes, and "
        "PDQ within its threshold). A version is imported once: the same name and version "
        "again is CONFLICT. Requires admin. " + REPLAYS))
    async def import_hash_list(self, info: Info[Context, None], input: ImportHashListInput,
                               idempotency_key: str | None = None) -> HashListVersion:
        principal = info.context.require(Scope.ADMIN, Role.ADMIN)
        info.context.mutating(principal)
        version = service.list_version(input.name, input.version, input.source, input.scheme,
                                       input.pdq_threshold)
        entries = service.read_csv(input.csv)
        await service.import_list(info.context.services.db, version, entries,
                                  by=principal.subject,
                                  change=info.context.change(principal, idempotency_key,
                                                             "IMPORT_HASH_LIST", version,
                                                             entries))
        return await _by_id(info, version.id)

    @strawberry.mutation(description=(
        "Retire one version of a list, or every live one: their matches stop counting as "
        "suggestions and stay in the files' history. Requires admin. " + REPLAYS))
    async def retire_hash_list(self, info: Info[Context, None], name: str,
                               version: str | None = None,
                               idempotency_key: str | None = None) -> list[HashListVersion]:
        principal = info.context.require(Scope.ADMIN, Role.ADMIN)
        info.context.mutating(principal)
        retired = await service.retire(info.context.services.db, name, version,
                                       by=principal.subject,
                                       change=info.context.change(principal, idempotency_key,
                                                                  "RETIRE_HASH_LIST", name,
                                                                  version))
        return [await _by_id(info, version_id) for version_id in retired]


async def hash_lists(info: Info[Context, None], name: str | None = None
                     ) -> list[HashListVersion]:
    principal = info.context.authenticated()
    if principal.role not in (Role.ANALYST, Role.ADMIN):
        principal.require(Scope.ADMIN)
    return [HashListVersion(row=row)
            for row in await service.versions(info.context.services.db, name)]
