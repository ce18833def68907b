"""Agencies: admin mutations, the CLI, and who may read them."""

from __future__ import annotations

import json

from api.settings import Settings
from authz.roles import Role
from graph.core.db import Database
from tests.conftest import Api, Tokens
from tests.helpers import tipgraph

CREATE = """
mutation($input: CreateAgencyInput!) {
  createAgency(input: $input) { id name kind seesAll jurisdictions { code name } }
}
"""
SET = """
mutation($id: ID!, $codes: [String!]!) {
  setAgencyJurisdictions(agencyId: $id, jurisdictions: $codes) { id jurisdictions { code } }
}
"""
INPUT = {"id": "icac-ca", "name": "California ICAC", "kind": "ICAC_TASK_FORCE",
         "jurisdictions": ["US-CA", "US-NV"], "seesAll": False}


async def test_an_admin_creates_an_agency_idempotently(api: Api, db: Database,
                                                       tokens: Tokens) -> None:
    admin = tokens.mint(Role.ADMIN)
    first = await api.gql(CREATE, {"input": INPUT}, token=admin)
    again = await api.gql(CREATE, {"input": INPUT}, token=admin)
    assert "errors" not in first, first
    assert first == again
    agency = first["data"]["createAgency"]
    assert agency["jurisdictions"] == [{"code": "US-CA", "name": "California"},
                                       {"code": "US-NV", "name": "Nevada"}]
    changed = await api.gql(SET, {"id": "icac-ca", "codes": ["US-CA"]}, token=admin)
    assert changed["data"]["setAgencyJurisdictions"]["jurisdictions"] == [{"code": "US-CA"}]


async def test_agency_input_is_checked(api: Api, db: Database, tokens: Tokens) -> None:
    admin = tokens.mint(Role.ADMIN)
    bad_code = await api.gql(CREATE, {"input": {**INPUT, "jurisdictions": ["XX-99"]}},
                             token=admin)
    assert bad_code["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    bad_id = await api.gql(CREATE, {"input": {**INPUT, "id": "no spaces"}}, token=admin)
    assert bad_id["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    missing = await api.gql(SET, {"id": "nope", "codes": ["US"]}, token=admin)
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_only_admins_manage_agencies(api: Api, db: Database, tokens: Tokens) -> None:
    for token in (tokens.mint(Role.ANALYST), tokens.mint(Role.LE, agency_id="icac-ca"),
                  tokens.mint(Role.AUDITOR), tokens.esp()):
        body = await api.gql(CREATE, {"input": INPUT}, token=token)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_the_cli_creates_the_same_agency(settings: Settings, db: Database, api: Api,
                                               tokens: Tokens) -> None:
    result = tipgraph(settings, "agency", "create", "--id", "fbi", "--name", "FBI",
                      "--kind", "FEDERAL", "--jurisdiction", "US", "--sees-all")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["seesAll"] is True
    body = await api.gql('{ agency(id: "fbi") { name kind seesAll jurisdictions { code } } }',
                         token=tokens.mint(Role.ANALYST))
    assert body["data"]["agency"] == {"name": "FBI", "kind": "FEDERAL", "seesAll": True,
                                      "jurisdictions": [{"code": "US"}]}
    own = await api.gql('{ agency(id: "fbi") { id } }', token=tokens.mint(Role.LE,
                                                                          agency_id="fbi"))
    other = await api.gql('{ agency(id: "fbi") { id } }', token=tokens.mint(Role.LE,
                                                                            agency_id="dea"))
    assert own["data"]["agency"] == {"id": "fbi"}
    assert other["data"]["agency"] is None
