"""Hash lists: an import labels the files already in the graph, enrichment labels the files of
reports finished later, a retired version stops suggesting and keeps its history, and a bad list
is refused whole. Every match is a label with source MATCH that names its list."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from api.settings import Settings
from authz.roles import Role
from graph.core.db import Database, run
from graph.core.errors import BadInput, Conflict
from graph.matching.hashlists import import_list, list_version, read_csv, versions
from graph.referrals.agencies import AgencyKind, AgencySpec, upsert_agency
from tests.conftest import Api, Tokens
from tests.documents import SUBMIT_REPORT, example_input
from tests.helpers import enrich_all, tipgraph

MD5 = "9e107d9d372bb6826bd81d3542a419d6"  # the example input's file
OTHER_MD5 = "0" * 32
FILES = """query($id: ID!) { report(id: $id) { labelSummary files { id
  classifications { label source by at basis retiredAt } } } }"""


async def submit(api: Api, token: str, md5: str = MD5) -> str:
    document = example_input()
    document["files"][0]["hashes"] = [{"algorithm": "MD5", "value": md5}]
    body = await api.gql(SUBMIT_REPORT, {"input": document}, token=token)
    assert "errors" not in body, body
    report_id: str = body["data"]["submitReport"]["id"]
    return report_id


async def labels(api: Api, tokens: Tokens, report_id: str) -> dict[str, Any]:
    body = await api.gql(FILES, {"id": report_id}, token=tokens.mint(Role.ANALYST))
    assert "errors" not in body, body
    report: dict[str, Any] = body["data"]["report"]
    return report


def csv_file(folder: Path, text: str) -> str:
    path = folder / "list.csv"
    path.write_text(text)
    return str(path)


async def test_an_import_labels_the_files_already_there_with_provenance(
        api: Api, esp: str, db: Database, tokens: Tokens, settings: Settings,
        tmp_path: Path) -> None:
    matching, other = await submit(api, esp), await submit(api, esp, OTHER_MD5)
    lines = f"algorithm,value,label\nmd5,{MD5.upper()},B1\nSHA256,{'c' * 64},A1\n"
    result = tipgraph(settings, "hashlist", "import", "--name", "known-1", "--version", "7",
                      "--source", "Example Hotline", "--scheme", "INDUSTRY",
                      csv_file(tmp_path, lines))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"id": "known-1@7", "entries": 2, "matched": 1}

    report = await labels(api, tokens, matching)
    [esp_label, match] = report["files"][0]["classifications"]
    assert esp_label["source"] == "ESP"
    assert match["label"] == "B1"
    assert match["source"] == "MATCH"
    assert match["by"] == "known-1 7 (Example Hotline)"
    assert match["basis"] == ("exact MD5 match in hash list known-1 version 7 from "
                              "Example Hotline (scheme INDUSTRY)")
    assert match["at"] is not None
    assert match["retiredAt"] is None
    assert "hash list known-1 7 (Example Hotline) suggests B1" in report["labelSummary"]
    assert [c["source"] for c in (await labels(api, tokens, other))["files"][0][
        "classifications"]] == ["ESP"]

    # the import is audited, and a version is imported once
    async def audited_tx(tx: Any) -> list[str]:
        return [r["detail"] for r in await run(
            tx, "MATCH (e:AuditEvent {operation: 'tipgraph hashlist import'}) "
                "RETURN e.detail AS detail")]
    assert await db.read(audited_tx) == ["known-1@7: 2 entries"]
    again = tipgraph(settings, "hashlist", "import", "--name", "known-1", "--version", "7",
                     "--source", "Example Hotline", "--scheme", "INDUSTRY",
                     csv_file(tmp_path, lines))
    assert again.returncode == 1
    assert "already imported" in again.stderr


async def test_reports_finished_later_are_matched_and_people_keep_precedence(
        api: Api, esp: str, db: Database, tokens: Tokens) -> None:
    await import_list(db, list_version("known-2", "1", "Example Hotline", "INDUSTRY"),
                      read_csv(f"MD5,{MD5},B2\n"), by="test")
    report_id = await submit(api, esp)
    analyst = tokens.mint(Role.ANALYST, subject="analyst-ana")
    file_id = (await labels(api, tokens, report_id))["files"][0]["id"]
    body = await api.gql('mutation($f: ID!) { classifyFile(fileId: $f, label: "A1", '
                         'basis: "viewed the file", scheme: "INDUSTRY") { id } }',
                         {"f": file_id}, token=analyst)
    assert "errors" not in body, body
    await enrich_all(db)
    await enrich_all(db)  # matching twice adds nothing

    report = await labels(api, tokens, report_id)
    sources = [(c["source"], c["label"]) for c in report["files"][0]["classifications"]]
    assert sorted(sources) == [("ANALYST", "A1"), ("ESP", "A1"), ("MATCH", "B2")]
    summary = report["labelSummary"]
    # the analyst's label is said before the list's suggestion, which overrides nothing
    assert summary.index("analyst analyst-ana labelled it A1") < summary.index(
        "hash list known-2 1 (Example Hotline) suggests B2")


async def test_a_retired_version_keeps_its_history_and_stops_suggesting(
        api: Api, esp: str, db: Database, tokens: Tokens, settings: Settings) -> None:
    await import_list(db, list_version("known-3", "1", "Example Hotline", "INDUSTRY"),
                      read_csv(f"MD5,{MD5},B1\n"), by="test")
    earlier = await submit(api, esp)
    await enrich_all(db)
    result = tipgraph(settings, "hashlist", "retire", "--name", "known-3")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [{"id": "known-3@1", "labels": 1}]

    report = await labels(api, tokens, earlier)
    [match] = [c for c in report["files"][0]["classifications"] if c["source"] == "MATCH"]
    assert match["retiredAt"] is not None
    assert "suggests" not in report["labelSummary"]
    later = await submit(api, esp)
    await enrich_all(db)
    assert [c["source"] for c in (await labels(api, tokens, later))["files"][0][
        "classifications"]] == ["ESP"]
    [version] = await versions(db, "known-3")
    assert version["retiredAt"] is not None
    assert version["retiredBy"].startswith("cli:")
    assert tipgraph(settings, "hashlist", "retire", "--name", "known-3").returncode == 1


async def test_a_law_enforcement_reader_sees_the_match_on_a_referred_report(
        api: Api, esp: str, db: Database, tokens: Tokens) -> None:
    await upsert_agency(db, AgencySpec("agency-1", "Agency One", AgencyKind.STATE, ("US-CA",)))
    report_id = await submit(api, esp)
    await import_list(db, list_version("known-4", "1", "Example Hotline", "INDUSTRY"),
                      read_csv(f"MD5,{MD5},B1\n"), by="test")
    body = await api.gql('mutation($id: ID!) { referReport(reportId: $id, agencyId: '
                         '"agency-1", reason: "r") { id } }', {"id": report_id},
                         token=tokens.mint(Role.ANALYST))
    assert "errors" not in body, body
    answer = await api.gql(FILES, {"id": report_id},
                           token=tokens.mint(Role.LE, agency_id="agency-1"))
    labelled = answer["data"]["report"]["files"][0]["classifications"]
    assert ("MATCH", "B1") in [(c["source"], c["label"]) for c in labelled]


async def test_a_bad_list_is_refused_whole_with_its_line(
        db: Database, settings: Settings, tmp_path: Path) -> None:
    bad = f"MD5,{MD5},B1\nMD5,{OTHER_MD5},A1\nSHA256,not-hex,B1\n"
    result = tipgraph(settings, "hashlist", "import", "--name", "bad", "--version", "1",
                      "--source", "Example Hotline", "--scheme", "INDUSTRY",
                      csv_file(tmp_path, bad))
    assert result.returncode == 1
    assert "line 3" in result.stderr
    assert "Traceback" not in result.stderr
    assert await versions(db) == []
    for text, message in ((f"MD5,{MD5}\n", "expected algorithm,value,label"),
                          (f"MD5,{MD5},B1\nMD5,{MD5},A1\n", "different labels"),
                          ("algorithm,value,label\n", "no entries")):
        with pytest.raises(BadInput, match=message):
            read_csv(text)
    with pytest.raises(BadInput, match="without '@'"):
        list_version("a@b", "1", "Example Hotline", "INDUSTRY")
    version = list_version("known-5", "1", "Example Hotline", "INDUSTRY")
    await import_list(db, version, read_csv(f"MD5,{MD5},B1\n"), by="test")
    with pytest.raises(Conflict):
        await import_list(db, version, read_csv(f"MD5,{MD5},B1\n"), by="test")


IMPORT = """mutation($input: ImportHashListInput!) { importHashList(input: $input) {
  id name version source scheme pdqThreshold entries matches importedBy retiredAt } }"""
RETIRE = """mutation($name: String!) { retireHashList(name: $name) {
  id retiredAt retiredBy matches } }"""


async def test_admins_import_and_retire_through_graphql(
        api: Api, esp: str, db: Database, tokens: Tokens) -> None:
    report_id = await submit(api, esp)
    admin = tokens.mint(Role.ADMIN, subject="admin-1")
    given = {"name": "gql-list", "version": "1", "source": "Example Hotline",
             "scheme": "INDUSTRY", "csv": f"MD5,{MD5},B2\n", "pdqThreshold": 20}
    body = await api.gql(IMPORT, {"input": given}, token=admin)
    assert "errors" not in body, body
    assert body["data"]["importHashList"] == {
        "id": "gql-list@1", "name": "gql-list", "version": "1", "source": "Example Hotline",
        "scheme": "INDUSTRY", "pdqThreshold": 20, "entries": 1, "matches": 1,
        "importedBy": "admin-1", "retiredAt": None}
    assert ("MATCH", "B2") in [(c["source"], c["label"]) for c in (
        await labels(api, tokens, report_id))["files"][0]["classifications"]]

    # refused: not an admin, the same version again, a bad line, a bad threshold; nothing
    # half-written
    for token, changed, code in (
            (tokens.mint(Role.ANALYST), {}, "FORBIDDEN"),
            (admin, {}, "CONFLICT"),
            (admin, {"version": "2", "csv": f"MD5,{MD5},B2\nMD5,zz,B1\n"}, "BAD_USER_INPUT"),
            (admin, {"version": "2", "pdqThreshold": 65}, "BAD_USER_INPUT"),
            (admin, {"version": "2", "csv": f"MD5,{MD5},C9\n"}, "BAD_USER_INPUT")):
        refused = await api.gql(IMPORT, {"input": {**given, **changed}}, token=token)
        assert refused["errors"][0]["extensions"]["code"] == code, refused
    assert [v["id"] for v in await versions(db)] == ["gql-list@1"]

    listed = await api.gql("{ hashLists { id matches } }", token=tokens.mint(Role.ANALYST))
    assert listed["data"]["hashLists"] == [{"id": "gql-list@1", "matches": 1}]
    retired = await api.gql(RETIRE, {"name": "gql-list"}, token=admin)
    assert "errors" not in retired, retired
    [version] = retired["data"]["retireHashList"]
    assert (version["id"], version["retiredBy"]) == ("gql-list@1", "admin-1")
    assert version["retiredAt"] is not None
    again = await api.gql(RETIRE, {"name": "gql-list"}, token=admin)
    assert again["errors"][0]["extensions"]["code"] == "NOT_FOUND"
