"""Personal data is declared once (graph.reports.personal); everything else follows from it.

- each declared element is one of the reference XSD's elements;
- every field of a report's parts, generated from the schema, is denied to a token without
  pii:read exactly when the declaration names it, and served otherwise;
- a referral package made for such a token holds none of those keys anywhere.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

from graphql import get_named_type
from lxml import etree

from authz.roles import Role
from graph.core.db import Database
from graph.core.vocabulary import XSD_PATH
from graph.referrals.agencies import AgencyKind, AgencySpec, upsert_agency
from graph.reports.personal import PERSONAL_DATA, PERSONAL_KEYS
from graph.reports.reporters import register_reporter
from resolvers.schema import build_schema
from tests.conftest import Api, Tokens
from tests.corpus import Generator, Pools
from tests.documents import FULL_INPUT

XSD: Final = XSD_PATH
PARTS: Final = ("reportedPeople", "intendedRecipients", "victims", "internetDetails",
                "lawEnforcement", "reporterContact")


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def test_every_declared_element_is_in_the_reference_xsd() -> None:
    names = {e.get("name") for e in etree.parse(str(XSD)).iter(
        "{http://www.w3.org/2001/XMLSchema}element")}
    for key, elements in PERSONAL_DATA.items():
        assert set(elements) <= names, (key, elements)


def part_selections() -> dict[str, str]:
    """Every field of each part, generated from the schema."""
    schema = build_schema(production=False)._schema
    generator = Generator(schema, Pools([], [], [], [], [], [], []), depth=3)
    report = schema.get_type("Report")
    fields = report.fields  # type: ignore[union-attr]
    return {name: f"{name} {{ {generator.selection(get_named_type(fields[name].type), 3, ())} }}"
            for name in PARTS}


def leaves(value: Any, path: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    if isinstance(value, dict):
        return {p for k, v in value.items() for p in leaves(v, (*path, k))} | {path}
    if isinstance(value, list):
        return {p for v in value for p in leaves(v, path)} | {path}
    return {path}


def outside(path: tuple[str, ...]) -> bool:
    """A field not below a personal one (those vanish with their parent)."""
    return bool(path) and not {snake(p) for p in path[:-1]} & PERSONAL_KEYS


async def referred(api: Api, db: Database, tokens: Tokens) -> str:
    await register_reporter(db, "example-esp", "Example ESP")
    await upsert_agency(db, AgencySpec("agency-1", "Agency One", AgencyKind.STATE, ("US-CA",)))
    body = await api.gql("mutation($input: SubmitReportInput!) { submitReport(input: $input) "
                         "{ id } }", {"input": FULL_INPUT}, token=tokens.esp())
    report_id: str = body["data"]["submitReport"]["id"]
    await api.gql('mutation($id: ID!) { referReport(reportId: $id, agencyId: "agency-1", '
                  'reason: "r") { id } }', {"id": report_id}, token=tokens.mint(Role.ANALYST))
    return report_id


async def test_the_declaration_decides_every_parts_field(api: Api, db: Database,
                                                         tokens: Tokens) -> None:
    # given a report that fills every part, and an agency token without pii:read
    report_id = await referred(api, db, tokens)
    without = tokens.mint(Role.LE, agency_id="agency-1", scope="report:read files:read")
    with_pii = tokens.mint(Role.LE, agency_id="agency-1")
    refused: set[str] = set()
    served: set[str] = set()
    kept: set[str] = set()
    for part, selection in part_selections().items():
        # when it asks for every field of each part
        query = "query($id: ID!) { report(id: $id) { " + selection + " } }"
        denied = await api.gql(query, {"id": report_id}, token=without)
        allowed = await api.gql(query, {"id": report_id}, token=with_pii)
        assert "errors" not in allowed, (part, allowed.get("errors"))
        assert {e["extensions"]["code"] for e in denied.get("errors", ())} <= {"FORBIDDEN"}
        refused |= {snake(str(e["path"][-1])) for e in denied.get("errors", ())}
        served |= {snake(p[-1]) for p in leaves(allowed["data"]["report"]) if outside(p)}
        kept |= {snake(p[-1]) for p in leaves(denied["data"]["report"]) if outside(p)}
    # then exactly the declared fields are denied (null, FORBIDDEN at their path) ...
    assert refused == served & PERSONAL_KEYS
    assert "incident_addresses" in refused
    # ... and nothing else is
    assert kept - PERSONAL_KEYS == served - PERSONAL_KEYS


async def test_a_package_without_pii_read_holds_no_declared_key(api: Api, db: Database,
                                                                tokens: Tokens) -> None:
    report_id = await referred(api, db, tokens)
    without = tokens.mint(Role.LE, agency_id="agency-1", scope="report:read files:read")
    body = await api.gql("query($id: ID!) { report(id: $id) { referralPackage { json } } }",
                         {"id": report_id}, token=without)
    package = json.loads(body["data"]["report"]["referralPackage"]["json"])
    keys = {snake(p[-1]) for p in leaves(package["report"]) if p}
    assert not keys & PERSONAL_KEYS
    assert "Exampleton" not in json.dumps(package["report"])  # incident and home addresses
