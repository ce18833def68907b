"""Retries change nothing (issue #18, item 6): every change an ESP makes to a report takes an
optional idempotency key (the ``idempotencyKey`` argument; the ``Idempotency-Key`` header on
the XML door), and a retry with the same key answers what the first request did.
"""

from __future__ import annotations

import asyncio
from typing import Any

from graph.core.db import Database, run
from tests.conftest import Api
from tests.cybertipline import REFERENCE_FILE_DETAILS, REFERENCE_REPORT, Ispws, synthetic_bytes
from tests.documents import CANCEL_REPORT, MINIMAL_INPUT, OPEN_REPORT

ADD_FILE = """
mutation AddFile($id: ID!, $file: FileInput!, $key: String) {
  addFile(reportId: $id, input: $file, idempotencyKey: $key) { id fileName }
}"""
FINISH = """
mutation Finish($id: ID!, $key: String) {
  finishReport(reportId: $id, idempotencyKey: $key) { id status finishedAt }
}"""
CANCEL = """
mutation Cancel($id: ID!, $key: String) {
  cancelReport(reportId: $id, idempotencyKey: $key) { id status cancelledAt }
}"""
FILE = {"fileName": "img001.jpg", "hashes": [{"algorithm": "MD5",
                                               "value": "9e107d9d372bb6826bd81d3542a419d6"}]}


async def _files(db: Database, report_id: int | str) -> int:
    async def tx(t: Any) -> int:
        [row] = await run(t, "MATCH (:Report {id: $id})-[:HAS_FILE]->(f:File) "
                             "RETURN count(f) AS n", id=int(report_id))
        return int(row["n"])
    return await db.read(tx)


async def _opened(api: Api, esp: str) -> str:
    body = await api.gql(OPEN_REPORT, {"input": MINIMAL_INPUT}, token=esp)
    return str(body["data"]["openReport"]["id"])


def _code(body: dict[str, Any]) -> str | None:
    errors = body.get("errors") or []
    return errors[0]["extensions"]["code"] if errors else None


async def test_add_file_retried_with_its_key_adds_one_file(api: Api, esp: str,
                                                           db: Database) -> None:
    report_id = await _opened(api, esp)
    sent = {"id": report_id, "file": FILE, "key": "upload-0001"}
    first = await api.gql(ADD_FILE, sent, token=esp)
    again = await api.gql(ADD_FILE, sent, token=esp)
    assert first == again, again
    assert await _files(db, report_id) == 1
    # eight at once with one new key: one file between them
    racing = await asyncio.gather(*[api.gql(ADD_FILE, {**sent, "key": "upload-0002"},
                                            token=esp) for _ in range(8)])
    assert len({body["data"]["addFile"]["id"] for body in racing}) == 1, racing
    assert await _files(db, report_id) == 2
    # the same key for a different file is refused, and adds nothing
    other = await api.gql(ADD_FILE, {**sent, "file": {**FILE, "fileName": "other.jpg"}},
                          token=esp)
    assert _code(other) == "CONFLICT"
    # without a key, a retry is a second file, as before
    await api.gql(ADD_FILE, {"id": report_id, "file": FILE}, token=esp)
    assert await _files(db, report_id) == 3


async def test_finish_retried_after_a_lost_answer_answers_the_report(api: Api,
                                                                     esp: str) -> None:
    report_id = await _opened(api, esp)
    first = await api.gql(FINISH, {"id": report_id, "key": "finish-1"}, token=esp)
    assert first["data"]["finishReport"]["status"] == "SUBMITTED"
    again = await api.gql(FINISH, {"id": report_id, "key": "finish-1"}, token=esp)
    assert again == first
    # another key, or none, finds it finished: CONFLICT, as before
    assert _code(await api.gql(FINISH, {"id": report_id, "key": "finish-2"},
                               token=esp)) == "CONFLICT"
    assert _code(await api.gql(FINISH, {"id": report_id}, token=esp)) == "CONFLICT"


async def test_cancel_retried_with_its_key_answers_the_report(api: Api, esp: str) -> None:
    report_id = await _opened(api, esp)
    first = await api.gql(CANCEL, {"id": report_id, "key": "cancel-1"}, token=esp)
    assert first["data"]["cancelReport"]["status"] == "CANCELLED"
    assert await api.gql(CANCEL, {"id": report_id, "key": "cancel-1"}, token=esp) == first
    assert _code(await api.gql(CANCEL_REPORT, {"id": report_id}, token=esp)) == "CONFLICT"


async def test_keys_are_the_esps_own(api: Api, esp: str, tokens: Any, db: Database) -> None:
    from graph.reports.reporters import register_reporter

    await register_reporter(db, "other-esp", "Other ESP")
    other = tokens.esp("other-esp")
    mine, theirs = await _opened(api, esp), await _opened(api, other)
    await api.gql(ADD_FILE, {"id": mine, "file": FILE, "key": "k"}, token=esp)
    # the other ESP's same key is a request of its own, not a replay of mine
    added = await api.gql(ADD_FILE, {"id": theirs, "file": FILE, "key": "k"}, token=other)
    assert added["data"]["addFile"]["id"]
    assert await _files(db, theirs) == 1


async def test_a_key_too_long_is_refused_before_anything_is_written(api: Api, esp: str,
                                                                    db: Database) -> None:
    report_id = await _opened(api, esp)
    body = await api.gql(ADD_FILE, {"id": report_id, "file": FILE, "key": "k" * 256},
                         token=esp)
    assert _code(body) == "BAD_USER_INPUT"
    assert await _files(db, report_id) == 0


async def test_the_xml_door_replays_an_idempotency_key(ispws: Ispws, db: Database) -> None:
    report_id = int((await ispws.submit(REFERENCE_REPORT)).fields["reportId"])
    content = synthetic_bytes(50_000)
    first = await ispws.upload(report_id, content, key="up-1")
    again = await ispws.upload(report_id, content, key="up-1")
    assert (first.code, again.code) == (0, 0)
    assert again.fields == first.fields  # the same fileId and hash
    assert await _files(db, report_id) == 1
    details = REFERENCE_FILE_DETAILS.format(report_id=report_id,
                                            file_id=first.fields["fileId"]).encode()
    assert (await ispws.fileinfo(details, key="info-1")).code == 0
    assert (await ispws.fileinfo(details, key="info-1")).code == 0
    assert (await ispws.fileinfo(details)).code != 0  # once per file, without the key
    done = await ispws.finish(report_id, key="fin-1")
    assert (await ispws.finish(report_id, key="fin-1")).fields == done.fields
    assert done.code == 0
    assert await _files(db, report_id) == 1

    async def blobs(t: Any) -> int:
        [row] = await run(t, "MATCH (f:File) WHERE f.contentRef IS NOT NULL "
                             "RETURN count(DISTINCT f.contentRef) AS n")
        return int(row["n"])
    assert await db.read(blobs) == 1
