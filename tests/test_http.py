"""The HTTP edge: health, readiness, metrics, request ids, limits and transport errors."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from api.settings import PROJECT_ROOT, Settings, SettingsError
from authz.roles import Role
from graph.core.server import free_port
from tests.conftest import Api, Tokens
from tests.helpers import CONTENT_KEY, make_settings, write_key_pair, write_package_key


@contextlib.asynccontextmanager
async def client_for(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a fresh app, with its lifespan (and so its driver) opened and closed."""
    app = create_app(settings)
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                  base_url="http://tipgraph.test") as client):
        yield client


async def test_healthz_and_readyz(api: Api) -> None:
    assert (await api.client.get("/healthz")).json() == {"status": "ok"}
    ready = await api.client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"ready": True, "neo4j": True, "migrations": True,
                            "writesPaused": False}


async def test_readyz_is_false_when_a_migration_is_pending(neo4j_uri: str,
                                                           tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    shutil.copytree(PROJECT_ROOT / "migrations", folder)
    (folder / "V9999__not_applied_yet.cypher").write_text(
        "CREATE INDEX later IF NOT EXISTS FOR (n:Later) ON (n.x);\n")
    settings = make_settings(neo4j_uri, tmp_path, TIPGRAPH_MIGRATIONS_DIR=str(folder))
    async with client_for(settings) as client:
        ready = await client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["migrations"] is False


async def test_without_neo4j_requests_get_service_unavailable(tmp_path: Path) -> None:
    # given an API whose Neo4j is not there (nothing listens on the port)
    settings = make_settings(f"bolt://localhost:{free_port()}", tmp_path)
    async with client_for(settings) as client:
        # then readiness is false, and a query answers 503 with a retry hint, not a hang or 500
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["neo4j"] is False
        from authz.roles import Role
        from authz.tokens import load_keys, mint_token

        token = mint_token(load_keys(settings.tokens), settings.tokens, role=Role.ANALYST)
        response = await client.post("/graphql", json={"query": "{ report(id: 1) { id } }"},
                                     headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"


async def test_every_response_carries_a_request_id(api: Api) -> None:
    fresh = await api.client.get("/healthz")
    assert len(fresh.headers["request-id"]) == 32
    echoed = await api.client.get("/healthz", headers={"X-Request-ID": "trace-123"})
    assert echoed.headers["request-id"] == "trace-123"


async def test_metrics_count_requests_round_trips_and_error_codes(api: Api, esp: str) -> None:
    await api.gql("{ report(id: 1) { id } }", token=esp)
    await api.gql("{ nope }", token=esp)
    text = (await api.client.get("/metrics")).text
    assert 'tipgraph_http_requests_total{method="POST",route="/graphql",status="200"}' in text
    assert "tipgraph_neo4j_round_trips_total" in text
    assert 'tipgraph_graphql_errors_total{code="BAD_USER_INPUT"}' in text


async def test_malformed_json_is_a_coded_400(api: Api) -> None:
    response = await api.client.post("/graphql", content=b"{not json",
                                     headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_mutation_over_get_is_refused(api: Api, esp: str) -> None:
    response = await api.client.get("/graphql", params={
        "query": 'mutation { cancelReport(reportId: "1") { id } }'},
        headers={"Authorization": f"Bearer {esp}"})
    assert response.status_code == 405
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_an_oversize_body_is_refused_before_it_is_read(api: Api, settings: Settings) -> None:
    big = b"{" + b" " * (settings.max_body_bytes + 10) + b"}"
    response = await api.client.post("/graphql", content=big,
                                     headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_graphiql_is_served_in_development(api: Api) -> None:
    response = await api.client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


def test_production_refuses_the_development_key(neo4j_uri: str, tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="production"):
        create_app(make_settings(neo4j_uri, tmp_path, TIPGRAPH_ENV="production"))
    dev = make_settings(neo4j_uri, tmp_path)
    from authz.tokens import load_keys

    load_keys(dev.tokens)  # generates the development pair in the state folder
    with pytest.raises(SettingsError, match="development key"):
        create_app(make_settings(neo4j_uri, tmp_path, TIPGRAPH_ENV="production",
                                 TIPGRAPH_JWT_PUBLIC_KEY_FILE=str(
                                     tmp_path / "keys" / "dev-jwt-public.pem")))
    # uploads are encrypted at rest: production needs its own content key
    _, public = write_key_pair(tmp_path)
    with pytest.raises(SettingsError, match="TIPGRAPH_CONTENT_KEY"):
        create_app(make_settings(neo4j_uri, tmp_path, TIPGRAPH_ENV="production",
                                 TIPGRAPH_JWT_PUBLIC_KEY_FILE=str(public),
                                 TIPGRAPH_PACKAGE_KEY_FILE=write_package_key(tmp_path)))
    # referral packages are signed: production needs its own signing key
    with pytest.raises(SettingsError, match="TIPGRAPH_PACKAGE_KEY_FILE"):
        create_app(make_settings(neo4j_uri, tmp_path, TIPGRAPH_ENV="production",
                                 TIPGRAPH_CONTENT_KEY=CONTENT_KEY,
                                 TIPGRAPH_JWT_PUBLIC_KEY_FILE=str(public)))


async def test_production_serves_no_graphiql(neo4j_uri: str, tmp_path: Path) -> None:
    _, public = write_key_pair(tmp_path)
    settings = make_settings(neo4j_uri, tmp_path, TIPGRAPH_ENV="production",
                             TIPGRAPH_CONTENT_KEY=CONTENT_KEY,
                             TIPGRAPH_PACKAGE_KEY_FILE=write_package_key(tmp_path),
                             TIPGRAPH_JWT_PUBLIC_KEY_FILE=str(public))
    async with client_for(settings) as client:
        response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert "graphiql" not in response.text.lower()


async def test_graphql_response_json_is_served_to_clients_that_accept_it(
        api: Api, tokens: Tokens) -> None:
    accept = {"Accept": "application/graphql-response+json, application/json"}
    analyst = {**accept, "Authorization": f"Bearer {tokens.mint(Role.ANALYST)}"}
    ok = await api.client.post("/graphql", json={"query": "{ reports { totalCount } }"},
                               headers=analyst)
    assert ok.status_code == 200
    assert ok.headers["content-type"].startswith("application/graphql-response+json")
    for broken in ("{ reports {", "{ noSuchField }"):  # parse, then validation failure
        refused = await api.client.post("/graphql", json={"query": broken}, headers=analyst)
        assert refused.status_code == 400
        assert "data" not in refused.json()
    # a field error is still a 200 with data: the request itself was fine
    field_error = await api.client.post("/graphql", json={"query": '{ report(id: "x") { id } }'},
                                        headers=analyst)
    assert field_error.status_code == 200
    assert "data" in field_error.json()
    # and plain application/json clients see no change
    plain = await api.client.post("/graphql", json={"query": "{ noSuchField }"})
    assert plain.status_code == 200
    assert plain.headers["content-type"].startswith("application/json")
