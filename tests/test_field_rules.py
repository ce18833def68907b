"""Field rules, generated from the schema: every guarded field x an allowed and a denied token.

A denied nullable field comes back null with one FORBIDDEN error naming its path, and the rest
of the response arrives. A field declared ``fail_silently`` (an ESP's referrals, a non-analyst's
suggested agencies) comes back empty or null, without an error.
"""

from __future__ import annotations

from typing import Any

import pytest
from strawberry.permission import PermissionExtension

from authz.fields import HasScope, IsAnalyst, PersonalValue, ReadsReferrals, SeesEveryReport
from authz.roles import Role
from graph.core.db import Database
from graph.core.visibility import EVERY_REPORT
from graph.referrals.agencies import AgencyKind, AgencySpec, refer_report, upsert_agency
from graph.reports.reporters import register_reporter
from resolvers.schema import build_schema
from tests.conftest import Api, Tokens
from tests.documents import FULL_INPUT, SUBMIT_REPORT

# How a query reaches each type that has guarded fields, from a Report.
REACH: dict[str, str] = {
    "ReportedPerson": "reportedPeople { %s }",
    "IntendedRecipient": "intendedRecipients { %s }",
    "Victim": "victims { %s }",
    "Person": "reporterContact { reportingPerson { %s } }",
    "ContactPerson": "reporterContact { contactPerson { %s } }",
    "AssociatedAccount": "reportedPeople { associatedAccounts { %s } }",
    "EmailIncident": "internetDetails { email { %s } }",
    "NewsgroupIncident": "internetDetails { newsgroup { %s } }",
    "CellPhoneIncident": "internetDetails { cellPhone { %s } }",
    "NonInternetIncident": "internetDetails { nonInternet { %s } }",
    "Report": "%s",
    "Identifier": "identifiers { identifier { %s } }",
}


def guarded_fields() -> list[tuple[str, str, str, bool]]:
    """(type, GraphQL field, rule, silent) for every field with a permission, from the schema."""
    schema = build_schema(production=False)
    found = []
    for name, graphql_type in schema._schema.type_map.items():
        definition = getattr(graphql_type, "extensions", {}) or {}
        strawberry_type = definition.get("strawberry-definition")
        if strawberry_type is None or not hasattr(strawberry_type, "fields"):
            continue
        for field in strawberry_type.fields:
            for extension in field.extensions:
                if isinstance(extension, PermissionExtension):
                    [permission] = extension.permissions
                    rule = ("analyst" if isinstance(permission, IsAnalyst | SeesEveryReport)
                            else permission.scope.value if isinstance(permission, HasScope)
                            else "pii:read" if isinstance(permission, PersonalValue)
                            else "not-esp" if isinstance(permission, ReadsReferrals)
                            else "?")
                    found.append((name, schema.config.name_converter.get_graphql_name(field),
                                  rule, extension.fail_silently))
    return sorted(found)


GUARDED = guarded_fields()


def test_every_guarded_type_is_reachable_by_the_matrix() -> None:
    assert {t for t, _, _, _ in GUARDED} <= set(REACH), "add the new type to REACH"
    assert "?" not in {rule for _, _, rule, _ in GUARDED}, "name the new permission's rule"
    assert {f for t, f, _, _ in GUARDED if t == "ReportedPerson"} >= {
        "firstName", "lastName", "dateOfBirth", "age", "emails", "phones", "addresses"}
    assert ("Report", "notes", "analyst", False) in GUARDED
    assert ("Report", "referrals", "not-esp", True) in GUARDED
    assert ("Identifier", "value", "pii:read", False) in GUARDED


OBJECT_FIELDS = {"phones", "emails", "addresses", "estimatedLocation", "emailAddresses",
                 "phoneNumber", "notes", "incidentAddresses", "files", "suggestedPriority",
                 "referrals", "suggestedAgencies"}


def selection(field: str) -> str:
    return f"{field} {{ __typename }}" if field in OBJECT_FIELDS else field


async def submitted_full_report(api: Api, db: Database, tokens: Tokens) -> str:
    await register_reporter(db, "example-esp", "Example ESP")
    body = await api.gql(SUBMIT_REPORT, {"input": FULL_INPUT}, token=tokens.esp())
    report_id: str = body["data"]["submitReport"]["id"]
    await upsert_agency(db, AgencySpec("agency-1", "Agency One", AgencyKind.STATE, ("US-CA",)))
    await refer_report(db, int(report_id), "agency-1", by="analyst-1", reason="r",
                       rows=EVERY_REPORT)
    return report_id


def allowed_and_denied(rule: str, tokens: Tokens) -> tuple[str, str]:
    if rule == "analyst":
        return tokens.mint(Role.ANALYST), tokens.mint(Role.LE, agency_id="agency-1")
    if rule == "not-esp":
        return tokens.mint(Role.LE, agency_id="agency-1"), tokens.esp()
    return (tokens.mint(Role.LE, agency_id="agency-1", scope=f"report:read {rule}"),
            tokens.mint(Role.LE, agency_id="agency-1", scope="report:read"))


def errors_at(body: dict[str, Any], field: str) -> list[dict[str, Any]]:
    return [e for e in body.get("errors") or [] if e.get("path") and e["path"][-1] == field]


@pytest.mark.parametrize(("type_name", "field", "rule", "silent"), GUARDED,
                         ids=[f"{t}.{f}" for t, f, _, _ in GUARDED])
async def test_guarded_field(api: Api, db: Database, tokens: Tokens, type_name: str,
                             field: str, rule: str, silent: bool) -> None:
    # given a report with every part filled in, referred to agency-1
    report_id = await submitted_full_report(api, db, tokens)
    query = ("query($id: ID!) { report(id: $id) { id status "
             + REACH[type_name] % selection(field) + " } }")
    allowed, denied = allowed_and_denied(rule, tokens)
    # when a token with the rule's scope asks, then no error touches the field
    ok = await api.gql(query, {"id": report_id}, token=allowed)
    assert not errors_at(ok, field), ok
    assert ok["data"]["report"]["id"] == report_id
    # when a token without it asks, then the field is null with one FORBIDDEN error per
    # occurrence naming its path, and the rest arrives
    refused = await api.gql(query, {"id": report_id}, token=denied)
    errors = errors_at(refused, field)
    if silent:  # empty or null, and no error: the denial is no news to this reader
        assert not errors, refused
        assert refused["data"]["report"][field] in (None, [])
        assert ok["data"]["report"][field] is not None
    else:
        assert errors, refused
        assert {e["extensions"]["code"] for e in errors} == {"FORBIDDEN"}
    assert refused["data"]["report"]["id"] == report_id
    assert refused["data"]["report"]["status"] == "SUBMITTED"


async def test_personal_identifier_values_need_pii_read(api: Api, db: Database,
                                                        tokens: Tokens) -> None:
    report_id = await submitted_full_report(api, db, tokens)
    query = "query($id: ID!) { report(id: $id) { identifiers { identifier { kind value } } } }"
    allowed, denied = allowed_and_denied("pii:read", tokens)
    ok = await api.gql(query, {"id": report_id}, token=allowed)
    values = {i["identifier"]["kind"]: i["identifier"]["value"]
              for i in ok["data"]["report"]["identifiers"]}
    assert values["EMAIL"]
    assert values["PHONE"]
    refused = await api.gql(query, {"id": report_id}, token=denied)
    hidden = {i["identifier"]["kind"] for i in refused["data"]["report"]["identifiers"]
              if i["identifier"]["value"] is None}
    assert hidden == {"EMAIL", "PHONE"}
    assert {e["extensions"]["code"] for e in refused["errors"]} == {"FORBIDDEN"}


async def test_file_facts_and_provenance_reach_everyone_who_sees_the_file(
        api: Api, db: Database, tokens: Tokens) -> None:
    report_id = await submitted_full_report(api, db, tokens)
    query = ("query($id: ID!) { report(id: $id) { files { viewedByEsp exifViewedByEsp "
             "publiclyAvailable hashes { algorithm value } classifications { label source by "
             "at basis } } } }")
    # (a token that may read files, and nothing personal)
    minimal = tokens.mint(Role.LE, agency_id="agency-1", scope="report:read files:read")
    body = await api.gql(query, {"id": report_id}, token=minimal)
    assert "errors" not in body, body
    [file] = body["data"]["report"]["files"]
    assert file["viewedByEsp"] is True
    assert file["hashes"][0]["algorithm"] == "SHA256"
    assert file["classifications"][0]["source"] == "ESP"
