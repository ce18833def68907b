"""The foundation issue's exact request: submit, link, and share identifiers across reports."""

from __future__ import annotations

from datetime import datetime

from tests.conftest import Api
from tests.documents import SUBMIT_REPORT, example_input


async def test_the_example_report_is_submitted_and_linked(api: Api, esp: str) -> None:
    # given the example input
    # when an ESP submits it
    body = await api.gql(SUBMIT_REPORT, {"key": "k-1", "input": example_input()}, token=esp)
    # then it is submitted, preserved for a year, and linked to every identifier it names
    assert "errors" not in body, body
    report = body["data"]["submitReport"]
    assert report["status"] == "SUBMITTED"
    finished = datetime.fromisoformat(report["finishedAt"])
    preserve = datetime.fromisoformat(report["preserveUntil"])
    assert preserve.year == finished.year + 1
    assert (preserve.month, preserve.day) == (finished.month, finished.day)
    int(report["id"])  # integer ids
    kinds = {(i["identifier"]["kind"], i["identifier"]["value"]) for i in report["identifiers"]}
    assert ("EMAIL", "alice@example.com") in kinds
    assert ("PHONE", "+14155550100") in kinds
    assert ("IP_ADDRESS", "203.0.113.7") in kinds
    assert ("SCREEN_NAME", "shadow_fox") in kinds
    assert ("ESP_ACCOUNT", "u-1001") in kinds
    assert ("FILE_HASH", "9e107d9d372bb6826bd81d3542a419d6") in kinds
    assert report["files"][0]["viewedByEsp"] is True
    assert report["files"][0]["hashes"] == [
        {"algorithm": "MD5", "value": "9e107d9d372bb6826bd81d3542a419d6"}]


async def test_a_second_report_links_to_the_same_email_node(api: Api, esp: str) -> None:
    # given a first report naming Alice@Example.COM
    first = await api.gql(SUBMIT_REPORT, {"key": "k-1", "input": example_input()}, token=esp)
    # when a second report names ALICE@example.com
    second_input = example_input()
    second_input["reportedPeople"][0]["emails"] = [{"address": "ALICE@example.com"}]
    second = await api.gql(SUBMIT_REPORT, {"key": "k-2", "input": second_input}, token=esp)
    # then both link to one e-mail node, whose reportCount is 2
    assert "errors" not in second, second

    def email_of(body: dict) -> dict:  # type: ignore[type-arg]
        return next(i["identifier"] for i in body["data"]["submitReport"]["identifiers"]
                    if i["identifier"]["kind"] == "EMAIL")

    assert email_of(first)["id"] == email_of(second)["id"]
    assert email_of(second)["reportCount"] == 2
    assert email_of(second)["value"] == "alice@example.com"
