"""Test harness: a real Neo4j 5.26 per session, a clean graph per test, the app over ASGI.

Set TIPGRAPH_NEO4J_URI to reuse a running server; otherwise one is started on a free port with
a throwaway data folder, watched by this process, and stopped at the end of the session.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import httpx
import pytest
from starlette.applications import Starlette

from api.app import create_app
from api.settings import PROJECT_ROOT, Settings, identifier_ids
from authz.basic import issue_credentials
from authz.roles import Role
from authz.tokens import Keys, load_keys, mint_token
from bench.harness import served_api
from graph.core.db import Database, open_driver, run
from graph.core.migrations import Migrator
from graph.core.server import ephemeral_server
from graph.reports.reporters import register_reporter
from tests.cybertipline import Ispws, ispws_client
from tests.helpers import IDENTIFIER_KEY, make_settings

CLEAN_GRAPH: Final = """
MATCH (n) WHERE NOT (n:__Migration OR n:__MigrationLock OR n:IdBlock OR n:IdentifierKeying)
DETACH DELETE n
"""


@pytest.fixture(scope="session")
def neo4j_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    existing = os.environ.get("TIPGRAPH_NEO4J_URI")
    if existing:
        yield existing
        return
    with ephemeral_server(PROJECT_ROOT / ".tipgraph", tmp_path_factory.mktemp("neo4j")) as uri:
        yield uri


@pytest.fixture(scope="session")
def settings(neo4j_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(neo4j_uri, tmp_path_factory.mktemp("state"))


@pytest.fixture(scope="session")
def keys(settings: Settings) -> Keys:
    return load_keys(settings.tokens)


@pytest.fixture(scope="session")
async def session_db(settings: Settings) -> AsyncIterator[Database]:
    db = Database(open_driver(settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password),
                  settings.neo4j_database)
    await Migrator(db, settings.migrations_dir, identifier_ids(settings)).migrate()
    yield db
    await db.close()


@pytest.fixture
async def db(session_db: Database) -> Database:
    """The database, emptied of everything but migration records and id blocks."""
    async def clean_tx(tx: Any) -> None:
        await run(tx, CLEAN_GRAPH)

    await session_db.write(clean_tx)
    return session_db


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[Starlette]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@dataclass
class Api:
    """A GraphQL client for one app: ``await api.gql(QUERY, variables, token=...)``."""

    client: httpx.AsyncClient

    async def gql(self, query: str, variables: dict[str, Any] | None = None, *,
                  token: str | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.client.post("/graphql", json={
            "query": query, "variables": variables or {}}, headers=headers)
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
async def api(app: Starlette, db: Database) -> AsyncIterator[Api]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.250", 4000))
    async with httpx.AsyncClient(transport=transport, base_url="http://tipgraph.test") as client:
        yield Api(client)


@dataclass
class Tokens:
    keys: Keys
    settings: Settings

    @property
    def signing_key(self) -> Any:
        assert self.keys.private_key is not None
        return self.keys.private_key

    def esp(self, esp_id: str = "example-esp", **kwargs: Any) -> str:
        return mint_token(self.keys, self.settings.tokens, role=Role.ESP, esp_id=esp_id, **kwargs)

    def mint(self, role: Role, **kwargs: Any) -> str:
        return mint_token(self.keys, self.settings.tokens, role=role, **kwargs)


@pytest.fixture(scope="session")
def tokens(keys: Keys, settings: Settings) -> Tokens:
    return Tokens(keys, settings)


@pytest.fixture
async def esp(db: Database, tokens: Tokens) -> str:
    """A registered ESP (``example-esp``) and its token."""
    await register_reporter(db, "example-esp", "Example ESP")
    return tokens.esp("example-esp")


# -- a real HTTP server, for clients that are not Python (Node tools, a browser) -----------

def wait_for(log: Path, mark: str, process: subprocess.Popen[bytes], seconds: float) -> str:
    deadline = time.monotonic() + seconds
    while mark not in log.read_text():
        assert process.poll() is None, log.read_text()[-2000:]
        assert time.monotonic() < deadline, f"{mark} not seen; {log.read_text()[-2000:]}"
        time.sleep(0.2)
    return log.read_text()


@pytest.fixture(scope="session")
def served(settings: Settings, session_db: Database,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``tipgraph serve`` over real HTTP, on the session's (migrated) Neo4j and keys."""
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    env = {"TIPGRAPH_NEO4J_URI": settings.neo4j_uri,
           "TIPGRAPH_STATE_DIR": str(settings.state_dir),
           "TIPGRAPH_IDENTIFIER_KEY": IDENTIFIER_KEY,  # the graph's ids are keyed with it
           "TIPGRAPH_ENRICHMENT_WORKER": "false", "TIPGRAPH_SWEEP_SECONDS": "0",
           "TIPGRAPH_SUBSCRIPTION_RECHECK_SECONDS": "1", "TIPGRAPH_EVENT_NUMBERING_SECONDS": "0"}
    with served_api(env, log) as api:
        yield api.url


@pytest.fixture
async def ispws(app: Starlette, db: Database) -> AsyncIterator[Ispws]:
    await register_reporter(db, "example-esp", "Example ESP")
    async with ispws_client(app, *await issue_credentials(db, "example-esp")) as client:
        yield Ispws(client)
