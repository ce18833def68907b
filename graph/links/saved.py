"""Saved views: a graph an explorer drew, kept by name for the one who drew it.

Analysts come back to an investigation the way Aleph users come back to a network diagram. A
view holds what the workspace needs to draw the graph again (node ids and positions, what was
expanded, the filters), never the facts: opening it reads every node again under the reader's
row rule, so a view shows nothing its owner may no longer see. A view is its owner's alone,
keyed by role, ESP or agency and subject (as idempotency keys are), so no one lists, reads or
overwrites another's.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Final

from neo4j import AsyncManagedTransaction

from graph.core.db import Database, run
from graph.core.errors import BadInput
from graph.core.idempotency import Change, Replay, canonical, write_once

MAX_NAME: Final = 100
MAX_VIEW_BYTES: Final = 64 * 1024
MAX_VIEWS: Final = 100  # per owner

VIEW: Final = "v {.name, .view, .createdAt, .savedAt}"

OWNED: Final = "MATCH (v:SavedView {owner: $owner}) RETURN " + VIEW + " AS view ORDER BY v.name"

COUNT_AND_FIND: Final = """
OPTIONAL MATCH (o:SavedView {owner: $owner})
RETURN count(o) AS views, sum(CASE WHEN o.key = $key THEN 1 ELSE 0 END) AS existing
"""

SAVE: Final = (
    "MERGE (v:SavedView {key: $key})"
    " ON CREATE SET v.owner = $owner, v.name = $name, v.createdAt = $now"
    " SET v.view = $view, v.savedAt = $now"
    " RETURN " + VIEW + " AS view"
)

DELETE: Final = "MATCH (v:SavedView {key: $key}) DETACH DELETE v RETURN count(*) AS deleted"


def _key(owner: str, name: str) -> str:
    return f"{owner}\n{name}"


def _name(name: str) -> str:
    name = name.strip()
    if not 0 < len(name) <= MAX_NAME or not name.isprintable():
        raise BadInput(f"a view's name has 1 to {MAX_NAME} printable characters", field="name")
    return name


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {"name": row["name"], "view": json.loads(row["view"]),
            "createdAt": row["createdAt"].to_native().isoformat(),
            "savedAt": row["savedAt"].to_native().isoformat()}


async def views(db: Database, owner: str) -> list[dict[str, Any]]:
    """The owner's views, by name."""
    async def tx(tx: AsyncManagedTransaction) -> list[dict[str, Any]]:
        return [_plain(r["view"]) for r in await run(tx, OWNED, owner=owner)]
    return await db.read(tx)


async def _save_tx(tx: AsyncManagedTransaction, owner: str, name: str,
                   view: str) -> dict[str, Any]:
    key = _key(owner, name)
    [counted] = await run(tx, COUNT_AND_FIND, owner=owner, key=key)
    if not counted["existing"] and counted["views"] >= MAX_VIEWS:
        raise BadInput(f"you have {MAX_VIEWS} saved views: delete one first", field="name")
    [row] = await run(tx, SAVE, key=key, owner=owner, name=name, view=view,
                      now=datetime.now(UTC))
    return _plain(row["view"])


async def save_view(db: Database, owner: str, name: str, view: Any,
                    change: Change | None = None) -> dict[str, Any]:
    """Save (or replace) the owner's view ``name``; a replay of ``change`` answers the first
    save."""
    text = canonical(view)
    if not isinstance(view, dict):
        raise BadInput("a view is a JSON object", field="view")
    if len(text.encode()) > MAX_VIEW_BYTES:
        raise BadInput(f"a view is at most {MAX_VIEW_BYTES} bytes of JSON", field="view")
    done: dict[str, Any] | Replay = await write_once(db, change, _save_tx, owner, _name(name),
                                                     text, target=canonical)
    if isinstance(done, Replay):
        first: dict[str, Any] = json.loads(done.target)
        return first
    return done


async def _delete_tx(tx: AsyncManagedTransaction, owner: str, name: str) -> bool:
    [row] = await run(tx, DELETE, key=_key(owner, name))
    return bool(row["deleted"])


async def delete_view(db: Database, owner: str, name: str,
                      change: Change | None = None) -> bool:
    """Delete the owner's view ``name``: whether there was one."""
    done = await write_once(db, change, _delete_tx, owner, _name(name), target=canonical)
    return bool(json.loads(done.target)) if isinstance(done, Replay) else done
