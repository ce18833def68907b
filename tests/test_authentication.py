"""Bearer tokens: who may call the intake, and what a bad token gets."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest

from authz.roles import Role
from graph.core.db import Database
from tests.conftest import Api, Tokens
from tests.documents import REPORT, SUBMIT_REPORT, example_input


def error_code(body: dict[str, Any]) -> str:
    return str(body["errors"][0]["extensions"]["code"])


async def test_no_token_is_unauthenticated(api: Api, esp: str) -> None:
    body = await api.gql(SUBMIT_REPORT, {"input": example_input()})
    assert error_code(body) == "UNAUTHENTICATED"
    assert error_code(await api.gql(REPORT, {"id": "1"})) == "UNAUTHENTICATED"


def forge(tokens: Tokens, **changes: Any) -> str:
    """A token like a valid esp token, with some claims changed (None removes a claim)."""
    now = int(time.time())
    claims: dict[str, Any] = {"sub": "example-esp", "role": "esp", "esp_id": "example-esp",
                              "iss": tokens.settings.tokens.issuer,
                              "aud": tokens.settings.tokens.audience,
                              "iat": now, "exp": now + 600, "jti": f"forged-{now}"}
    claims.update(changes)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, tokens.signing_key, algorithm="RS256",
                      headers={"kid": tokens.keys.kid})


BAD_TOKENS: dict[str, Callable[[Tokens], str]] = {
    "garbage": lambda t: "not.a.token",
    "expired": lambda t: forge(t, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600),
    "not yet valid": lambda t: forge(t, nbf=int(time.time()) + 3600),
    "no jti": lambda t: forge(t, jti=None),
    "wrong audience": lambda t: forge(t, aud="someone-else"),
    "wrong issuer": lambda t: forge(t, iss="https://evil.example"),
    "no exp": lambda t: forge(t, exp=None),
    "no sub": lambda t: forge(t, sub=None),
    "unknown role": lambda t: forge(t, role="superuser"),
    "esp without esp_id": lambda t: forge(t, esp_id=None),
    "alg none": lambda t: jwt.encode({"sub": "x", "role": "esp", "esp_id": "example-esp"},
                                     "", algorithm="none"),
    "HS256 with the public key": lambda t: _hs256_with_public_key(t),
    "unknown kid": lambda t: jwt.encode(
        {"sub": "x", "role": "esp", "esp_id": "example-esp", "iss": t.settings.tokens.issuer,
         "aud": t.settings.tokens.audience, "iat": int(time.time()),
         "exp": int(time.time()) + 60}, t.signing_key, algorithm="RS256",
        headers={"kid": "somebody-elses-key"}),
}


def _hs256_with_public_key(tokens: Tokens) -> str:
    import base64
    import hashlib
    import hmac
    import json

    from cryptography.hazmat.primitives import serialization

    assert tokens.keys.public_key is not None
    public = tokens.keys.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    now = int(time.time())
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64(json.dumps({"sub": "x", "role": "esp", "esp_id": "example-esp",
                              "iss": tokens.settings.tokens.issuer,
                              "aud": tokens.settings.tokens.audience,
                              "iat": now, "exp": now + 60}).encode())
    signature = hmac.new(public, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64(signature)}"


@pytest.mark.parametrize("attack", list(BAD_TOKENS))
async def test_a_bad_token_is_unauthenticated(api: Api, esp: str, tokens: Tokens,
                                              attack: str) -> None:
    token = BAD_TOKENS[attack](tokens)
    body = await api.gql(SUBMIT_REPORT, {"input": example_input()}, token=token)
    assert error_code(body) == "UNAUTHENTICATED", body


async def test_a_non_bearer_scheme_is_unauthenticated(api: Api, esp: str) -> None:
    response = await api.client.post("/graphql", json={"query": "{ report(id: 1) { id } }"},
                                     headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_an_unregistered_esp_is_forbidden(api: Api, tokens: Tokens, db: Database) -> None:
    body = await api.gql(SUBMIT_REPORT, {"input": example_input()},
                         token=tokens.esp("never-registered"))
    assert error_code(body) == "FORBIDDEN"


async def test_other_roles_cannot_submit(api: Api, esp: str, tokens: Tokens) -> None:
    body = await api.gql(SUBMIT_REPORT, {"input": example_input()},
                         token=tokens.mint(Role.ANALYST))
    assert error_code(body) == "FORBIDDEN"


async def test_a_token_narrowed_to_reading_cannot_submit(api: Api, esp: str,
                                                         tokens: Tokens) -> None:
    reader = tokens.esp("example-esp", scope="report:read")
    body = await api.gql(SUBMIT_REPORT, {"input": example_input()}, token=reader)
    assert error_code(body) == "FORBIDDEN"


async def test_a_token_cannot_widen_its_role(tokens: Tokens) -> None:
    from authz.tokens import TokenVerifier

    token = tokens.esp("example-esp", scope="report:submit report:triage admin")
    principal = await TokenVerifier(tokens.keys, tokens.settings.tokens).verify(token)
    assert {s.value for s in principal.scopes} == {"report:submit"}
