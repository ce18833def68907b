"""Near-duplicate matching: a resized, re-encoded copy of a listed picture uploaded through the
CyberTipline door gets the list's label with its distance; a list imported later labels the
files already there, within its own threshold; a file an analyst labelled acts as a list, and
the basis of that suggestion names the earlier report only to readers who see every report.
An unrelated picture matches nothing. The index the worker keeps is the graph's, saved, and
loaded without a rebuild."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from authz.roles import Role
from graph.core.db import Database
from graph.matching.hashlists import import_list, list_version, read_csv
from graph.matching.near import References
from graph.matching.perceptual import pdq_of
from graph.referrals.agencies import AgencyKind, AgencySpec, upsert_agency
from tests.conftest import Api, Tokens
from tests.cybertipline import REFERENCE_REPORT, Ispws
from tests.helpers import enrich_all
from tests.images import distance, encoded, picture

FILES = """query($id: ID!) { report(id: $id) { labelSummary files { id
  hashes { algorithm value } classifications { label source by basis } } } }"""


async def upload(ispws: Ispws, data: bytes) -> str:
    opened = await ispws.submit(REFERENCE_REPORT)
    report_id = str(opened.fields["reportId"])
    assert (await ispws.upload(report_id, data)).code == 0
    assert (await ispws.finish(report_id)).code == 0
    return report_id


async def file_of(api: Api, token: str, report_id: str) -> dict[str, Any]:
    body = await api.gql(FILES, {"id": report_id}, token=token)
    assert "errors" not in body, body
    [file] = body["data"]["report"]["files"]
    return {**file, "labelSummary": body["data"]["report"]["labelSummary"]}


def matches(file: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in file["classifications"] if c["source"] == "MATCH"]


ORIGINAL = picture(11)
COPY = encoded(ORIGINAL.resize((320, 240)), "JPEG", quality=70)


async def test_a_near_copy_gets_the_lists_label_with_its_distance(
        api: Api, ispws: Ispws, db: Database, tokens: Tokens) -> None:
    listed = pdq_of(encoded(ORIGINAL))
    assert listed is not None
    await import_list(db, list_version("pdq-list", "1", "Example Hotline", "INDUSTRY"),
                      read_csv(f"PDQ,{listed},A1\n"), by="test")
    copy_report = await upload(ispws, COPY)
    stranger_report = await upload(ispws, encoded(picture(12)))
    await enrich_all(db)
    analyst = tokens.mint(Role.ANALYST)

    copy = await file_of(api, analyst, copy_report)
    pdq = next(h["value"] for h in copy["hashes"] if h["algorithm"] == "PDQ")
    apart = distance(pdq, listed)
    assert 0 < apart <= 31
    [match] = matches(copy)
    assert match["label"] == "A1"
    assert match["by"] == "pdq-list 1 (Example Hotline)"
    assert match["basis"] == (f"PDQ match at distance {apart} of at most 31 in hash list "
                              "pdq-list version 1 from Example Hotline (scheme INDUSTRY)")
    assert "hash list pdq-list 1 (Example Hotline) suggests A1" in copy["labelSummary"]
    assert matches(await file_of(api, analyst, stranger_report)) == []

    # a list imported later labels the files already there, each within its own threshold
    await import_list(db, list_version("strict", "1", "Example Hotline", "INDUSTRY",
                                       pdq_threshold=apart - 1),
                      read_csv(f"PDQ,{listed},B1\n"), by="test")
    await import_list(db, list_version("loose", "1", "Example Hotline", "INDUSTRY",
                                       pdq_threshold=apart),
                      read_csv(f"PDQ,{listed},B2\n"), by="test")
    assert sorted(m["label"] for m in matches(await file_of(api, analyst, copy_report))) == [
        "A1", "B2"]


async def test_a_file_an_analyst_labelled_acts_as_a_list_without_revealing_its_report(
        api: Api, ispws: Ispws, db: Database, tokens: Tokens) -> None:
    await upsert_agency(db, AgencySpec("agency-1", "Agency One", AgencyKind.STATE, ("US-CA",)))
    analyst = tokens.mint(Role.ANALYST, subject="analyst-ana")
    earlier = await upload(ispws, encoded(ORIGINAL))
    await enrich_all(db)
    earlier_file = (await file_of(api, analyst, earlier))["id"]
    body = await api.gql('mutation($f: ID!) { classifyFile(fileId: $f, label: "B1", '
                         'basis: "viewed the file") { id } }', {"f": earlier_file},
                         token=analyst)
    assert "errors" not in body, body
    later = await upload(ispws, COPY)
    stranger = await upload(ispws, encoded(picture(13)))
    await enrich_all(db)
    body = await api.gql('mutation($id: ID!) { referReport(reportId: $id, agencyId: '
                         '"agency-1", reason: "r") { id } }', {"id": later}, token=analyst)
    assert "errors" not in body, body

    seen_by_analyst = await file_of(api, analyst, later)
    [match] = matches(seen_by_analyst)
    assert match["label"] == "B1"
    assert match["by"] == "tipgraph near-duplicate matching"
    assert f"to file {earlier_file} of report {earlier}, labelled B1 by analyst-ana" in (
        match["basis"])
    assert "a near duplicate of a file an analyst labelled suggests B1" in (
        seen_by_analyst["labelSummary"])

    agency = tokens.mint(Role.LE, agency_id="agency-1")
    [seen] = matches(await file_of(api, agency, later))
    # nothing in it names the earlier file, its report or the analyst
    assert re.fullmatch(r"matches a file labelled B1 by an analyst \(PDQ distance \d+ of at "
                        r"most 31\)", seen["basis"]), seen["basis"]
    assert matches(await file_of(api, analyst, stranger)) == []
    # the labelled file does not match itself
    assert matches(await file_of(api, analyst, earlier)) == []


async def test_the_index_is_saved_loaded_and_read_incrementally(
        db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hashes = [str(pdq_of(encoded(picture(seed)))) for seed in (21, 22, 23)]
    await import_list(db, list_version("saved", "1", "Example Hotline", "INDUSTRY"),
                      read_csv("".join(f"PDQ,{h},A1\n" for h in hashes)), by="test")
    references = References(tmp_path)
    await references.sync(db)
    assert len(references.index) == 3
    assert references.near([hashes[0]])[0] == [(hashes[0], 0)]

    loaded = References(tmp_path)
    assert len(loaded.index) == 3

    async def no_rebuild(db: Database) -> None:
        raise AssertionError("rebuilt")
    monkeypatch.setattr(loaded, "_rebuild", no_rebuild)
    await loaded.sync(db)  # the same graph: nothing to read again
    # one more reference arrives: read incrementally, still no rebuild
    await import_list(db, list_version("saved", "2", "Example Hotline", "INDUSTRY"),
                      read_csv(f"PDQ,{pdq_of(encoded(picture(24)))},A2\n"), by="test")
    await loaded.sync(db)
    assert len(loaded.index) == 4
