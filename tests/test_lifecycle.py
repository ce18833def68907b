"""Report lifecycle (CyberTipline Reporting API): open, add files, finish or cancel, expire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from graph.core.db import Database, run
from tests.conftest import Api, Tokens
from tests.documents import (
    ADD_FILE,
    CANCEL_REPORT,
    FINISH_REPORT,
    MINIMAL_INPUT,
    OPEN_REPORT,
    REPORT,
)

FILE = {"fileName": "a.jpg", "viewedByEsp": True, "industryClassification": "A2",
        "hashes": [{"algorithm": "SHA1", "value": "2FD4E1C67A2D28FCED849EE1BB76E7391B93EB12"}]}


def code(body: dict[str, Any]) -> str:
    assert body.get("errors"), body
    return str(body["errors"][0]["extensions"]["code"])


async def open_report(api: Api, token: str, **changes: Any) -> str:
    body = await api.gql(OPEN_REPORT, {"input": {**MINIMAL_INPUT, **changes}}, token=token)
    assert "errors" not in body, body
    assert body["data"]["openReport"]["status"] == "OPEN"
    return str(body["data"]["openReport"]["id"])


async def make_stale(db: Database, report_id: str) -> None:
    """Move a report's deadline into the past, as 25 idle hours would."""
    async def tx(t: Any) -> None:
        await run(t, "MATCH (r:Report {id: $id}) SET r.expiresAt = $at",
                  id=int(report_id), at=datetime.now(UTC) - timedelta(minutes=1))

    await db.write(tx)


async def test_open_add_file_and_finish(api: Api, esp: str) -> None:
    # given an open report
    report_id = await open_report(api, esp)
    # when a file is added and the report is finished
    added = await api.gql(ADD_FILE, {"id": report_id, "file": FILE}, token=esp)
    finished = await api.gql(FINISH_REPORT, {"id": report_id}, token=esp)
    # then the file carries its hash (lower-cased) and the ESP's label with its provenance
    assert "errors" not in added, added
    file = added["data"]["addFile"]
    assert file["hashes"] == [{"algorithm": "SHA1",
                               "value": "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12"}]
    [label] = file["classifications"]
    assert label["label"] == "A2"
    assert label["source"] == "ESP"
    assert label["by"] == "example-esp"
    assert "file viewed by ESP: yes" in label["basis"]
    # and the report is submitted, preserved one year
    report = finished["data"]["finishReport"]
    assert report["status"] == "SUBMITTED"
    finished_at = datetime.fromisoformat(report["finishedAt"])
    assert datetime.fromisoformat(report["preserveUntil"]).year == finished_at.year + 1


async def test_an_open_report_expires_after_24_hours(api: Api, esp: str) -> None:
    body = await api.gql(OPEN_REPORT, {"input": MINIMAL_INPUT}, token=esp)
    report = body["data"]["openReport"]
    opened = datetime.fromisoformat(report["openedAt"])
    assert datetime.fromisoformat(report["expiresAt"]) - opened == timedelta(hours=24)


@pytest.mark.parametrize("mutation", ["add", "finish", "cancel"])
async def test_a_finished_report_cannot_change(api: Api, esp: str, mutation: str) -> None:
    # given a finished report
    report_id = await open_report(api, esp)
    await api.gql(FINISH_REPORT, {"id": report_id}, token=esp)
    # when the ESP tries to change it
    body = await _change(api, esp, report_id, mutation)
    # then it is refused as a conflict, and nothing changed
    assert code(body) == "CONFLICT"
    after = await api.gql(REPORT, {"id": report_id}, token=esp)
    assert after["data"]["report"]["status"] == "SUBMITTED"
    assert after["data"]["report"]["files"] == []


async def _change(api: Api, token: str, report_id: str, mutation: str) -> dict[str, Any]:
    if mutation == "add":
        return await api.gql(ADD_FILE, {"id": report_id, "file": FILE}, token=token)
    if mutation == "finish":
        return await api.gql(FINISH_REPORT, {"id": report_id}, token=token)
    return await api.gql(CANCEL_REPORT, {"id": report_id}, token=token)


@pytest.mark.parametrize("mutation", ["add", "finish", "cancel"])
async def test_a_cancelled_report_cannot_change(api: Api, esp: str, mutation: str) -> None:
    report_id = await open_report(api, esp)
    cancelled = await api.gql(CANCEL_REPORT, {"id": report_id}, token=esp)
    assert cancelled["data"]["cancelReport"]["status"] == "CANCELLED"
    assert code(await _change(api, esp, report_id, mutation)) == "CONFLICT"


@pytest.mark.parametrize("mutation", ["add", "finish", "cancel"])
async def test_an_expired_report_answers_report_expired(
        api: Api, esp: str, db: Database, mutation: str) -> None:
    # given an open report past its deadline
    report_id = await open_report(api, esp)
    await make_stale(db, report_id)
    # when the ESP changes it, then REPORT_EXPIRED, and readers see it as EXPIRED
    assert code(await _change(api, esp, report_id, mutation)) == "REPORT_EXPIRED"
    after = await api.gql(REPORT, {"id": report_id}, token=esp)
    assert after["data"]["report"]["status"] == "EXPIRED"


async def test_the_sweep_marks_stale_reports_expired(api: Api, esp: str, db: Database,
                                                    app: Any) -> None:
    stale = await open_report(api, esp)
    fresh = await open_report(api, esp)
    await make_stale(db, stale)
    expired = await app.state.tipgraph.services.intake.sweep()
    assert expired == 1

    async def statuses(t: Any) -> dict[int, str]:
        rows = await run(t, "MATCH (r:Report) RETURN r.id AS id, r.status AS status")
        return {row["id"]: row["status"] for row in rows}

    assert await db.read(statuses) == {int(stale): "EXPIRED", int(fresh): "OPEN"}


async def test_a_change_extends_the_deadline_to_one_hour_after_it(
        api: Api, esp: str, db: Database) -> None:
    # given a report opened 23.5 hours ago
    report_id = await open_report(api, esp)
    opened = datetime.now(UTC) - timedelta(hours=23, minutes=30)

    async def backdate(t: Any) -> None:
        await run(t, "MATCH (r:Report {id: $id}) SET r.openedAt = $at, r.expiresAt = $exp",
                  id=int(report_id), at=opened, exp=opened + timedelta(hours=24))

    await db.write(backdate)
    # when a file is added now
    before = datetime.now(UTC)
    await api.gql(ADD_FILE, {"id": report_id, "file": FILE}, token=esp)
    # then it expires one hour after the change, later than 24 h after opening
    body = await api.gql("query($id: ID!) { report(id: $id) { expiresAt } }", {"id": report_id},
                         token=esp)
    expires = datetime.fromisoformat(body["data"]["report"]["expiresAt"])
    assert before + timedelta(minutes=59) < expires
    assert expires < datetime.now(UTC) + timedelta(hours=1, minutes=1)


async def test_another_esps_report_does_not_exist_for_it(api: Api, esp: str, tokens: Tokens,
                                                         db: Database) -> None:
    from graph.reports.reporters import register_reporter

    # given a report of example-esp and a second registered ESP
    report_id = await open_report(api, esp)
    await register_reporter(db, "other-esp", "Other ESP")
    other = tokens.esp("other-esp")
    # then the other ESP cannot read, change or finish it: it does not exist for it
    read = await api.gql(REPORT, {"id": report_id}, token=other)
    assert read["data"]["report"] is None
    for mutation in ("add", "finish", "cancel"):
        assert code(await _change(api, other, report_id, mutation)) == "NOT_FOUND"
    missing = await api.gql(FINISH_REPORT, {"id": "987654321"}, token=esp)
    assert code(missing) == "NOT_FOUND"
    assert missing["errors"][0]["message"] == read_message(987654321)
    not_theirs = await api.gql(FINISH_REPORT, {"id": report_id}, token=other)
    assert not_theirs["errors"][0]["message"] == read_message(int(report_id))


def read_message(report_id: int) -> str:
    return f"report {report_id} does not exist"


async def test_submit_with_every_part_of_the_model_round_trips(api: Api, esp: str) -> None:
    from tests.documents import FULL_INPUT, FULL_REPORT_QUERY, SUBMIT_REPORT

    body = await api.gql(SUBMIT_REPORT, {"input": FULL_INPUT}, token=esp)
    assert "errors" not in body, body
    report_id = body["data"]["submitReport"]["id"]
    read = await api.gql(FULL_REPORT_QUERY, {"id": report_id}, token=esp)
    assert "errors" not in read, read
    report = read["data"]["report"]
    person = report["reportedPeople"][0]
    assert person["firstName"] == "Synthetic"
    assert person["addresses"][0]["state"] == "CA"
    assert person["associatedAccounts"][0]["accountType"] == "PARENT_GUARDIAN"
    assert person["accountTemporarilyDisabled"]["userNotified"] is True
    assert report["victims"][0]["schoolName"] == "Example Elementary"
    assert report["intendedRecipients"][0]["screenName"] == "recipient_1"
    kinds = [next(k for k, v in d.items() if v) for d in report["internetDetails"]]
    assert kinds == ["webPage", "email", "newsgroup", "chatIm", "onlineGaming", "cellPhone",
                     "nonInternet", "peer2peer"]
    assert report["lawEnforcement"]["agencyName"] == "Example County Sheriff"
    assert report["reporterContact"]["reportingPerson"]["emails"][0]["address"] == (
        "reporter@example.org")
    assert report["annotations"] == ["SEXTORTION", "MINOR_TO_MINOR_INTERACTION"]
    assert report["escalateToHighPriority"] == "Synthetic: stated intent to meet"
    file = report["files"][0]
    assert file["relevance"] == "REPORTED"
    assert file["annotations"] == ["GENERATIVE_AI"]
    assert file["details"][0]["nameValuePairs"][0] == {"name": "Make", "value": "ExampleCam"}
    roles = {i["role"] for i in report["identifiers"]}
    assert roles == {"REPORTED_PERSON", "INTENDED_RECIPIENT", "VICTIM", "ASSOCIATED_ACCOUNT",
                     "INCIDENT", "FILE"}
    ip = next(i for i in report["identifiers"] if i["identifier"]["value"] == "198.51.100.20")
    assert ip["event"] == "UPLOAD"
    assert ip["port"] == 443
    assert ip["possibleProxy"] is True
