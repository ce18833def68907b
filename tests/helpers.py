"""Helpers tests share (import them from here, not from other test modules)."""

from __future__ import annotations

import base64
import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Final

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.app import create_app
from api.settings import Settings, load_settings
from authz.roles import Role
from authz.tokens import load_keys, mint_token
from graph.core.db import Database
from graph.core.ids import IdAllocator
from graph.identifiers.keyed_ids import IdentifierIds
from graph.reports.intake.service import IntakeService
from graph.reports.intake.validation import Limits

# Synthetic keys for tests (base64 of 32 bytes): the app under test is configured with them.
CONTENT_KEY: Final = "dGlwZ3JhcGgtdGVzdHMtY29udGVudC1rZXktMzJieXQ="
IDENTIFIER_KEY: Final = "dGlwZ3JhcGgtdGVzdHMtaWRlbnRpZmllci1rZXktMzI="
IDS: Final = IdentifierIds(base64.b64decode(IDENTIFIER_KEY))


def make_settings(neo4j_uri: str, state_dir: Path, **overrides: str) -> Settings:
    env = {"TIPGRAPH_NEO4J_URI": neo4j_uri, "TIPGRAPH_STATE_DIR": str(state_dir),
           "TIPGRAPH_REVOCATION_TTL_SECONDS": "1",
           # tests run enrichment themselves (worker.run_due()), so results are deterministic
           "TIPGRAPH_ENRICHMENT_WORKER": "false", "TIPGRAPH_SWEEP_SECONDS": "0",
           # no background writer may race a test's clean graph
           "TIPGRAPH_EVENT_NUMBERING_SECONDS": "0",
           "TIPGRAPH_IDENTIFIER_KEY": IDENTIFIER_KEY, **overrides}
    return load_settings(env)


def write_key_pair(folder: Path) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private, public = folder / "private.pem", folder / "public.pem"
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    public.write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public


def write_package_key(folder: Path) -> str:
    """An Ed25519 key for signing referral packages (production needs its own)."""
    path = folder / "package-key.pem"
    path.write_bytes(Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return str(path)


@contextlib.asynccontextmanager
async def production_api(neo4j_uri: str, folder: Path,
                         **overrides: str) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    private, public = write_key_pair(folder)
    settings = make_settings(neo4j_uri, folder, TIPGRAPH_ENV="production",
                             TIPGRAPH_CONTENT_KEY=CONTENT_KEY,
                             TIPGRAPH_PACKAGE_KEY_FILE=write_package_key(folder),
                             TIPGRAPH_JWT_PUBLIC_KEY_FILE=str(public),
                             TIPGRAPH_JWT_PRIVATE_KEY_FILE=str(private), **overrides)
    token = mint_token(load_keys(settings.tokens), settings.tokens, role=Role.ANALYST)
    app = create_app(settings)
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                  base_url="http://tipgraph.test",
                                  headers={"Authorization": f"Bearer {token}"}) as client):
        yield client, token


def production_token(neo4j_uri: str, folder: Path, role: Role, **claims: Any) -> str:
    """A token signed with the key :func:`production_api` wrote into ``folder``."""
    settings = make_settings(neo4j_uri, folder, TIPGRAPH_ENV="production",
                             TIPGRAPH_JWT_PUBLIC_KEY_FILE=str(folder / "public.pem"),
                             TIPGRAPH_JWT_PRIVATE_KEY_FILE=str(folder / "private.pem"))
    return mint_token(load_keys(settings.tokens), settings.tokens, role=role, **claims)


def examples(strategy: st.SearchStrategy[Any], count: int = 60) -> list[Any]:
    """Draw ``count`` examples with Hypothesis (reproducibly), to send them from an async test
    afterwards."""
    drawn: list[Any] = []

    @settings(max_examples=count, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(example: Any) -> None:
        drawn.append(example)

    collect()
    return drawn


def assert_no_internal_error(response: httpx.Response, sent: object) -> None:
    """No HTTP 500 and no INTERNAL error code, whatever was sent."""
    assert response.status_code != 500, (sent, response.text[:500])
    if response.headers.get("content-type", "").startswith(("application/json",
                                                             "application/graphql")):
        body = response.json()
        errors = body.get("errors") if isinstance(body, dict) else [
            e for item in body for e in item.get("errors") or []]
        codes = [e.get("extensions", {}).get("code") for e in errors or []]
        assert "INTERNAL" not in codes, (sent, body)


def intake(db: Database, limits: Limits | None = None) -> IntakeService:
    """The intake service, keyed as the tests' app is."""
    return IntakeService(db, IdAllocator(db, "report"), IdAllocator(db, "file"),
                         limits or Limits(), identifier_ids=IDS)


def tipgraph(settings: Settings, *args: str, state_dir: Path | None = None,
             env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the `tipgraph` command as a user would, against the test Neo4j (``env``: more
    settings)."""
    env = {**os.environ, "TIPGRAPH_NEO4J_URI": settings.neo4j_uri,
           "TIPGRAPH_STATE_DIR": str(state_dir or settings.state_dir),
           "TIPGRAPH_IDENTIFIER_KEY": IDENTIFIER_KEY, **(env or {})}
    return subprocess.run([sys.executable, "-m", "api.cli", *args], capture_output=True,
                          text=True, env=env, check=False, timeout=120)


async def enrich_all(db: Database, common_threshold: int = 50) -> None:
    """Runs enrichment (with matching) until no job is due, as the API's worker would."""
    from graph.triage.enrichment import EnrichmentWorker
    from graph.triage.geo import geo_provider

    worker = EnrichmentWorker(db, geo_provider(None), common_threshold=common_threshold)
    while await worker.run_due():
        pass
