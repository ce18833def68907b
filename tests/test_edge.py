"""The hardened GraphQL edge: production refusals, cost and rate limits, token revocation, JWKS."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from api.app import create_app
from api.settings import Settings
from authz.roles import Role
from authz.tokens import TokenVerifier, load_keys, mint_token
from graph.core.db import Database
from graph.core.errors import Unauthenticated
from graph.core.server import free_port
from tests.conftest import Api
from tests.helpers import make_settings, production_api


def code(response: httpx.Response) -> str:
    body = response.json()
    errors = body["errors"] if isinstance(body, dict) else body[0]["errors"]
    return str(errors[0]["extensions"]["code"])


REFUSED_IN_PRODUCTION = {
    "101 aliases": {"query": "{ " + " ".join(f"a{i}: reports {{ totalCount }}"
                                             for i in range(101)) + " }"},
    "circular introspection": {"query": "{ __schema { types { fields { type { fields { type "
                                        "{ fields { name } } } } } } } }"},
    "10 repeated directives": {"query": "{ reports " + "@include(if: true) " * 10
                                        + "{ totalCount } }"},
    "field suggestions": {"query": "{ report(id: 1) { statu } }"},
}


@pytest.mark.parametrize("attack", list(REFUSED_IN_PRODUCTION))
async def test_production_refuses(neo4j_uri: str, tmp_path: Path, db: Database,
                                  attack: str) -> None:
    async with production_api(neo4j_uri, tmp_path) as (client, _):
        response = await client.post("/graphql", json=REFUSED_IN_PRODUCTION[attack])
    body = response.json()
    assert body.get("data") is None, body
    assert code(response) == "BAD_USER_INPUT"
    assert "Did you mean" not in response.text
    assert "__schema" not in json.dumps(body.get("data"))


async def test_production_refuses_a_batch_of_10_and_takes_a_batch_of_2(
        neo4j_uri: str, tmp_path: Path, db: Database) -> None:
    async with production_api(neo4j_uri, tmp_path) as (client, _):
        ten = await client.post("/graphql", json=[{"query": "{ reports { totalCount } }"}] * 10)
        two = await client.post("/graphql", json=[{"query": "{ reports { totalCount } }"}] * 2)
    assert ten.status_code == 400
    assert code(ten) == "BAD_USER_INPUT"
    assert [b["data"]["reports"]["totalCount"] for b in two.json()] == [0, 0]


async def test_production_refuses_a_mutation_over_get(neo4j_uri: str, tmp_path: Path,
                                                      db: Database) -> None:
    async with production_api(neo4j_uri, tmp_path) as (client, _):
        response = await client.get("/graphql", params={
            "query": 'mutation { addNote(reportId: "1", text: "x") { id } }'})
    assert response.status_code == 405


async def test_development_suggests_and_production_does_not(api: Api, esp: str) -> None:
    body = await api.gql("{ report(id: 1) { statu } }", token=esp)
    assert "Did you mean" in body["errors"][0]["message"]


async def test_the_cost_limit_multiplies_by_page_sizes(api: Api, esp: str) -> None:
    # a full triage page passes; fanning out through shared identifiers does not
    page = ("{ reports(first: 100) { edges { node { files { hashes { value } "
            "classifications { label } } identifiers { identifier { reportCount } } } } } }")
    fan_out = ("{ reports(first: %d) { edges { node { identifiers { identifier { "
               "reports(first: 100) { edges { node { id status } } } } } } } } }")
    assert "errors" not in await api.gql(page, token=esp)
    small = await api.gql(fan_out % 1, token=esp)
    assert "errors" not in small, small
    big = await api.gql(fan_out % 50, token=esp)
    assert big["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "costs" in big["errors"][0]["message"]


async def test_depth_is_limited(api: Api, esp: str) -> None:
    deep = ("{ reports { edges { node { identifiers { identifier { reports { edges { node { "
            "identifiers { identifier { reports { edges { node { id } } } } } } } } } } } } } }")
    body = await api.gql(deep, token=esp)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_mutations_are_rate_limited_per_principal(neo4j_uri: str, tmp_path: Path,
                                                        db: Database) -> None:
    from graph.reports.reporters import register_reporter

    await register_reporter(db, "example-esp", "Example ESP")
    settings = make_settings(neo4j_uri, tmp_path, TIPGRAPH_RATE_MUTATIONS_PER_MINUTE="2")
    token = mint_token(load_keys(settings.tokens), settings.tokens,
                       role=Role.ESP, esp_id="example-esp")
    other = mint_token(load_keys(settings.tokens), settings.tokens,
                       role=Role.ESP, esp_id="example-esp",
                       subject="another-integration")
    mutation = {"query": 'mutation { openReport(input: {incidentType: CHILD_PORNOGRAPHY, '
                         'incidentDateTime: "2026-10-01T00:00:00Z"}) { id } }'}
    app = create_app(settings)
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                  base_url="http://t") as client):
        answers = [await client.post("/graphql", json=mutation,
                                     headers={"Authorization": f"Bearer {token}"})
                   for _ in range(3)]
        theirs = await client.post("/graphql", json=mutation,
                                   headers={"Authorization": f"Bearer {other}"})
    assert [("errors" in a.json()) for a in answers] == [False, False, True]
    error = answers[2].json()["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["retryAfter"] >= 1
    assert "errors" not in theirs.json()


async def test_a_revoked_token_is_refused(api: Api, esp: str, settings: Settings) -> None:
    from tests.helpers import tipgraph

    claims = jwt.decode(esp, options={"verify_signature": False})
    assert "errors" not in await api.gql("{ reports { totalCount } }", token=esp)
    assert tipgraph(settings, "token", "revoke", claims["jti"]).returncode == 0
    await asyncio.sleep(settings.tokens.revocation_ttl_seconds + 0.2)
    body = await api.gql("{ reports { totalCount } }", token=esp)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


# -- JWKS -----------------------------------------------------------------------------------------

class _Jwks:
    def __init__(self) -> None:
        self.keys: dict[str, Any] = {}
        self.requests = 0

    def document(self) -> bytes:
        return json.dumps({"keys": [
            {**jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True),
             "kid": kid, "use": "sig", "alg": "RS256"} for kid, key in self.keys.items()]}
        ).encode()


@contextlib.contextmanager
def jwks_server(jwks: _Jwks) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            jwks.requests += 1
            body = jwks.document()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    finally:
        server.shutdown()
        server.server_close()


def _signed(settings: Settings, key: Any, kid: str) -> str:
    now = int(time.time())
    return jwt.encode({"sub": "analyst-9", "role": "analyst", "iss": settings.tokens.issuer,
                       "aud": settings.tokens.audience, "iat": now, "exp": now + 60,
                       "jti": f"jti-{kid}-{now}"}, key, algorithm="RS256", headers={"kid": kid})


async def test_jwks_keys_are_cached_and_unknown_kids_refetch_at_a_bounded_rate(
        neo4j_uri: str, tmp_path: Path) -> None:
    jwks = _Jwks()
    jwks.keys["k1"] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with jwks_server(jwks) as url:
        settings = make_settings(neo4j_uri, tmp_path, TIPGRAPH_JWT_JWKS_URL=url,
                                 TIPGRAPH_JWKS_MIN_REFETCH_SECONDS="1")
        verifier = TokenVerifier(load_keys(settings.tokens), settings.tokens)
        # a known kid: fetched once, then cached
        for _ in range(3):
            assert (await verifier.verify(_signed(settings, jwks.keys["k1"], "k1"))).role is (
                Role.ANALYST)
        assert jwks.requests == 1
        # a flood of unknown kids within the window: refused, and no refetch
        rogue = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        for i in range(20):
            with pytest.raises(Unauthenticated, match="unknown"):
                await verifier.verify(_signed(settings, rogue, f"made-up-{i}"))
        assert jwks.requests == 1
        # a rotated key appears at the provider: after the window, it is fetched and accepted
        jwks.keys["k2"] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        await asyncio.sleep(1.1)
        assert (await verifier.verify(_signed(settings, jwks.keys["k2"], "k2"))).subject == (
            "analyst-9")
        assert jwks.requests == 2
