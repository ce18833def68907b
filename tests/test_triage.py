"""Analyst dispositions with provenance: priority, disposition, file labels, history, summary."""

from __future__ import annotations

from typing import Any

import pytest

from authz.roles import Role
from graph.core.db import Database
from graph.triage.provenance import label_summary
from tests.conftest import Api, Tokens
from tests.documents import SUBMIT_REPORT, example_input
from tests.world import build_world

SET_PRIORITY = """
mutation($id: ID!, $p: Priority!, $why: String!) {
  setPriority(reportId: $id, priority: $p, reason: $why) { id priority }
}
"""
SET_DISPOSITION = """
mutation($id: ID!, $d: Disposition!, $why: String!) {
  setDisposition(reportId: $id, disposition: $d, reason: $why) { id disposition }
}
"""
CLASSIFY = """
mutation($file: ID!, $label: String!, $basis: String!) {
  classifyFile(fileId: $file, label: $label, basis: $basis) {
    labelSummary files { classifications { label source by basis } }
  }
}
"""
HISTORY = """
query($id: ID!) { report(id: $id) { priority disposition history {
  kind source by reason before after fileId } } }
"""


async def submitted(api: Api, esp: str) -> dict[str, Any]:
    body = await api.gql(SUBMIT_REPORT, {"input": example_input()}, token=esp)
    report: dict[str, Any] = body["data"]["submitReport"]
    return report


async def test_priority_and_disposition_are_recorded_in_order(api: Api, esp: str,
                                                              tokens: Tokens) -> None:
    # given a submitted report and an analyst
    report = await submitted(api, esp)
    analyst = tokens.mint(Role.ANALYST, subject="analyst-1")
    # when the analyst prioritises, decides and reprioritises it
    p1 = await api.gql(SET_PRIORITY, {"id": report["id"], "p": "P1", "why": "meeting planned"},
                       token=analyst)
    decided = await api.gql(SET_DISPOSITION, {"id": report["id"], "d": "REFERRAL",
                                              "why": "actionable"}, token=analyst)
    await api.gql(SET_PRIORITY, {"id": report["id"], "p": "UNSET", "why": "duplicate"},
                  token=analyst)
    # then each took effect, and the history keeps every change with who, why, before, after
    assert p1["data"]["setPriority"]["priority"] == "P1"
    assert decided["data"]["setDisposition"]["disposition"] == "REFERRAL"
    body = await api.gql(HISTORY, {"id": report["id"]}, token=analyst)
    found = body["data"]["report"]
    assert found["priority"] == "UNSET"
    assert [(h["kind"], h["source"]) for h in found["history"]] == [
        ("OPENED", "ESP"), ("SUBMITTED", "ESP"), ("PRIORITY", "ANALYST"),
        ("DISPOSITION", "ANALYST"), ("PRIORITY", "ANALYST")]
    first = found["history"][2]
    assert (first["by"], first["reason"], first["before"], first["after"]) == (
        "analyst-1", "meeting planned", "UNSET", "P1")
    assert found["history"][3]["before"] == "PENDING"


async def test_each_mutation_of_one_document_answers_what_it_wrote(api: Api, esp: str,
                                                                     tokens: Tokens) -> None:
    """Mutations of one document run in order; each answers the report as its own write left
    it, not as an earlier one of the same request read it (the request's loader caches)."""
    report = await submitted(api, esp)
    body = await api.gql("""
        mutation Triage($id: ID!) {
          first: setPriority(reportId: $id, priority: P1, reason: "meeting planned") {
            priority disposition history { kind }
          }
          second: setDisposition(reportId: $id, disposition: REFERRAL, reason: "actionable") {
            priority disposition history { kind }
          }
        }""", {"id": report["id"]}, token=tokens.mint(Role.ANALYST))
    first, second = body["data"]["first"], body["data"]["second"]
    assert (first["priority"], first["disposition"]) == ("P1", "PENDING")
    assert (second["priority"], second["disposition"]) == ("P1", "REFERRAL")
    assert [h["kind"] for h in second["history"]][-2:] == ["PRIORITY", "DISPOSITION"]


async def test_analyst_work_needs_a_submitted_report_a_reason_and_the_role(
        api: Api, esp: str, tokens: Tokens, db: Database) -> None:
    world = await build_world(db)
    analyst = tokens.mint(Role.ANALYST)
    open_report = await api.gql(SET_PRIORITY, {"id": world.reports["A1"], "p": "P2",
                                               "why": "x"}, token=analyst)
    assert open_report["errors"][0]["extensions"]["code"] == "CONFLICT"
    blank = await api.gql(SET_PRIORITY, {"id": world.reports["A2"], "p": "P2", "why": " "},
                          token=analyst)
    assert blank["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    pending = await api.gql(SET_DISPOSITION, {"id": world.reports["A2"], "d": "PENDING",
                                              "why": "x"}, token=analyst)
    assert pending["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    for token in (tokens.esp("esp-a"), tokens.mint(Role.LE, agency_id="agency-1")):
        refused = await api.gql(SET_PRIORITY, {"id": world.reports["A2"], "p": "P1",
                                               "why": "x"}, token=token)
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await api.gql(HISTORY, {"id": world.reports["A2"]}, token=analyst)
    assert [h["kind"] for h in body["data"]["report"]["history"]] == [
        "OPENED", "SUBMITTED", "REFERRAL"]


async def test_an_analysts_label_sits_beside_the_esps(api: Api, esp: str,
                                                      tokens: Tokens) -> None:
    # given a file the ESP labelled A1 and viewed
    report = await submitted(api, esp)
    file_id = report["files"][0]["id"]
    analyst = tokens.mint(Role.ANALYST, subject="analyst-1")
    # when an analyst labels it B2 after viewing it
    body = await api.gql(CLASSIFY, {"file": file_id, "label": "B2",
                                    "basis": "viewed the file"}, token=analyst)
    # then both labels are there, each with its source, and the summary says so plainly
    assert "errors" not in body, body
    labels = body["data"]["classifyFile"]["files"][0]["classifications"]
    assert [(c["label"], c["source"], c["by"]) for c in labels] == [
        ("A1", "ESP", "example-esp"), ("B2", "ANALYST", "analyst-1")]
    assert body["data"]["classifyFile"]["labelSummary"] == (
        "1 file — img001.jpg: the ESP viewed the whole file but not its EXIF data, "
        "in the industry categories the ESP (example-esp) labelled it A1, "
        "in the analysts' categories analyst analyst-1 labelled it B2.")
    history = await api.gql(HISTORY, {"id": report["id"]}, token=analyst)
    [entry] = [h for h in history["data"]["report"]["history"] if h["kind"] == "CLASSIFICATION"]
    assert (entry["after"], entry["reason"], entry["fileId"]) == ("B2", "viewed the file",
                                                                  file_id)


async def test_a_label_on_a_file_nobody_may_see_is_not_found(api: Api, esp: str,
                                                             tokens: Tokens) -> None:
    report = await submitted(api, esp)
    officer = tokens.mint(Role.LE, agency_id="agency-1")
    body = await api.gql(CLASSIFY, {"file": report["files"][0]["id"], "label": "A1",
                                    "basis": "x"}, token=officer)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    missing = await api.gql(CLASSIFY, {"file": "99999999", "label": "A1", "basis": "x"},
                            token=tokens.mint(Role.ANALYST))
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize(("file", "expected"), [
    ({"fileName": "a.jpg", "viewedByEsp": False, "classifications": [
        {"label": "A1", "source": "ESP", "by": "esp-1"}]},
     "1 file — a.jpg: no one at the ESP viewed it, in the industry categories the ESP (esp-1) "
     "labelled it A1."),
    ({"fileName": "b.jpg", "classifications": []},
     "1 file — b.jpg: the ESP did not say whether anyone there viewed it, no one labelled it."),
    ({"fileName": "c.jpg", "viewedByEsp": True, "exifViewedByEsp": True,
      "publiclyAvailable": True, "classifications": [
          {"label": "known match", "source": "AUTOMATED", "by": "hash-list"},
          {"label": "B1", "source": "ESP", "by": "esp-1"}]},
     "1 file — c.jpg: the ESP viewed the whole file and its EXIF data, in the industry "
     "categories the ESP (esp-1) labelled it B1, an automated match (hash-list) labelled it "
     "known match, it was publicly available."),
])
def test_the_label_summary_reads_plainly(file: dict[str, Any], expected: str) -> None:
    assert label_summary([file]) == expected


def test_a_report_without_files_says_so() -> None:
    assert label_summary([]) == "No files were reported."
