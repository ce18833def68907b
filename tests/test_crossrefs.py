"""Cross-references: shared identifiers as the explanation, scores by kind, common ones out."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from api.app import create_app
from authz.roles import Role
from authz.tokens import load_keys, mint_token
from graph.core.db import Database
from graph.core.visibility import EVERY_REPORT
from graph.core.vocabulary import IncidentType
from graph.referrals.agencies import AgencyKind, AgencySpec, refer_report, upsert_agency
from graph.reports.reporters import register_reporter
from tests.helpers import intake as make_intake
from tests.helpers import make_settings

CROSS = """
query($id: ID!, $common: Boolean!) { report(id: $id) {
  crossReferences(includeCommon: $common) { report { id } score explanation
    shared { kind value common } } } }
"""
NAT = "100.64.0.1"


def doc(*, email: str | None = None, account: str | None = None, ip: str | None = None,
        md5: str | None = None) -> dict[str, Any]:
    person: dict[str, Any] = {"esp_service": "ExampleChat"}
    if email:
        person["emails"] = [{"address": email}]
    if account:
        person["esp_identifier"] = account
    if ip:
        person["ip_capture_events"] = [{"ip_address": ip}]
    document: dict[str, Any] = {"incident_type": IncidentType.CHILD_PORNOGRAPHY,
                                "incident_date_time": datetime(2026, 9, 1, tzinfo=UTC),
                                "reported_people": [person]}
    if md5:
        document["files"] = [{"file_name": "f.jpg", "hashes": [{"algorithm": "MD5",
                                                                  "value": md5}]}]
    return document


async def world(db: Database) -> dict[str, int]:
    intake = make_intake(db)
    await register_reporter(db, "esp-a", "A")
    submit = intake.submit_report
    ids = {
        "origin": (await submit("esp-a", doc(email="alice@example.com", account="u-1",
                                             ip=NAT, md5="a" * 32)))["id"],
        "email": (await submit("esp-a", doc(email="ALICE@example.com")))["id"],
        "account_and_file": (await submit("esp-a", doc(account="u-1", md5="a" * 32)))["id"],
        "nat_only": (await submit("esp-a", doc(ip=NAT)))["id"],
        "unrelated": (await submit("esp-a", doc(email="bob@example.net")))["id"],
    }
    for _ in range(2):  # the NAT address is now named by 4 reports: common above 3
        await submit("esp-a", doc(ip=NAT))
    return ids


@contextlib.asynccontextmanager
async def client(neo4j_uri: str, folder: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    settings = make_settings(neo4j_uri, folder, TIPGRAPH_COMMON_IDENTIFIER_REPORTS="3")
    app = create_app(settings)
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                  base_url="http://t") as http):
        yield http, settings


async def ask(http: httpx.AsyncClient, token: str, report_id: int,
              common: bool = False) -> list[dict[str, Any]]:
    response = await http.post("/graphql", json={"query": CROSS, "variables": {
        "id": report_id, "common": common}}, headers={"Authorization": f"Bearer {token}"})
    body = response.json()
    assert "errors" not in body, body
    found: list[dict[str, Any]] = body["data"]["report"]["crossReferences"]
    return found


async def test_cross_references_rank_by_what_is_shared(neo4j_uri: str, tmp_path: Path,
                                                       db: Database) -> None:
    ids = await world(db)
    async with client(neo4j_uri, tmp_path) as (http, settings):
        analyst = mint_token(load_keys(settings.tokens), settings.tokens, role=Role.ANALYST)
        found = await ask(http, analyst, ids["origin"])
        with_common = await ask(http, analyst, ids["origin"], common=True)
    # the account-and-file match outranks the e-mail match; the NAT-only report is left out
    assert [int(x["report"]["id"]) for x in found] == [ids["account_and_file"], ids["email"]]
    assert found[0]["score"] == 2.0
    assert found[0]["explanation"] == "Shares 1 ESP account and 1 file hash (the same file)."
    assert {(s["kind"], s["value"]) for s in found[1]["shared"]} == {
        ("EMAIL", "alice@example.com")}
    # asked for, common identifiers come back, weighted down and named as common
    nat = next(x for x in with_common if int(x["report"]["id"]) == ids["nat_only"])
    assert nat["score"] == 0.03
    assert nat["explanation"] == "Shares only common identifiers; common: 1 IP address."
    assert nat["shared"] == [{"kind": "IP_ADDRESS", "value": NAT, "common": True}]
    assert ids["unrelated"] not in {int(x["report"]["id"]) for x in with_common}


async def test_cross_references_stay_inside_what_the_reader_may_see(
        neo4j_uri: str, tmp_path: Path, db: Database) -> None:
    ids = await world(db)
    await upsert_agency(db, AgencySpec("agency-1", "One", AgencyKind.STATE, ("US-CA",)))
    for name in ("origin", "email"):
        await refer_report(db, ids[name], "agency-1", by="a", reason="r", rows=EVERY_REPORT)
    async with client(neo4j_uri, tmp_path) as (http, settings):
        officer = mint_token(load_keys(settings.tokens), settings.tokens, role=Role.LE,
                             agency_id="agency-1")
        found = await ask(http, officer, ids["origin"], common=True)
    assert [int(x["report"]["id"]) for x in found] == [ids["email"]]
