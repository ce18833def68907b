"""Classification schemes side by side: a file labelled under the industry categories, the
INTERPOL baseline, a country's law and the analysts' own shows each scheme's labels with their
provenance, grouped and in order, in labelSummary too; a label outside a closed vocabulary, or
an unknown scheme, is refused and writes nothing, through GraphQL and a list's import alike."""

from __future__ import annotations

from typing import Any

import pytest

from authz.roles import Role
from graph.core.db import Database
from graph.core.errors import BadInput
from graph.matching.hashlists import import_list, list_version, read_csv, versions
from tests.conftest import Api, Tokens
from tests.documents import SUBMIT_REPORT, example_input

CLASSIFY = """mutation($f: ID!, $label: String!, $scheme: String!) {
  classifyFile(fileId: $f, label: $label, basis: "viewed the file", scheme: $scheme) {
    labelSummary files { classifications { label scheme source }
      labelsByScheme { scheme { name open terms { label } }
                       labels { label source by basis } } } } }"""


async def submitted_file(api: Api, esp: str) -> str:
    body = await api.gql(SUBMIT_REPORT, {"input": example_input()}, token=esp)
    assert "errors" not in body, body
    file_id: str = body["data"]["submitReport"]["files"][0]["id"]
    return file_id


async def classify(api: Api, token: str, file_id: str, label: str,
                   scheme: str) -> dict[str, Any]:
    body: dict[str, Any] = await api.gql(CLASSIFY, {"f": file_id, "label": label,
                                                    "scheme": scheme}, token=token)
    return body


async def test_each_schemes_labels_sit_side_by_side_with_their_provenance(
        api: Api, esp: str, tokens: Tokens) -> None:
    analyst = tokens.mint(Role.ANALYST, subject="analyst-ana")
    file_id = await submitted_file(api, esp)
    for label, scheme in (("CSAM-confirmed", "ANALYST"), ("ILLEGAL", "national:de"),
                          ("BASELINE", "INTERPOL")):
        body = await classify(api, analyst, file_id, label, scheme)
        assert "errors" not in body, body
    report = body["data"]["classifyFile"]
    [file] = report["files"]
    groups = [(g["scheme"]["name"], [(c["label"], c["source"]) for c in g["labels"]])
              for g in file["labelsByScheme"]]
    assert groups == [("INDUSTRY", [("A1", "ESP")]),
                      ("INTERPOL", [("BASELINE", "ANALYST")]),
                      ("NATIONAL:DE", [("ILLEGAL", "ANALYST")]),
                      ("ANALYST", [("CSAM-confirmed", "ANALYST")])]
    assert [g["scheme"]["open"] for g in file["labelsByScheme"]] == [False, False, False, True]
    assert [t["label"] for t in file["labelsByScheme"][0]["scheme"]["terms"]] == [
        "A1", "A2", "B1", "B2"]
    assert {(c["label"], c["scheme"]) for c in file["classifications"]} == {
        ("A1", "INDUSTRY"), ("CSAM-confirmed", "ANALYST"), ("ILLEGAL", "NATIONAL:DE"),
        ("BASELINE", "INTERPOL")}
    summary = report["labelSummary"]
    said = [summary.index(part) for part in (
        "in the industry categories the ESP (example-esp) labelled it A1",
        "by the INTERPOL baseline analyst analyst-ana labelled it BASELINE",
        "under the law of DE analyst analyst-ana labelled it ILLEGAL",
        "in the analysts' categories analyst analyst-ana labelled it CSAM-confirmed")]
    assert said == sorted(said)


async def test_a_label_outside_its_vocabulary_is_refused_and_writes_nothing(
        api: Api, esp: str, tokens: Tokens, db: Database) -> None:
    analyst = tokens.mint(Role.ANALYST)
    file_id = await submitted_file(api, esp)
    for label, scheme, message in (("C3", "INDUSTRY", "not a label of scheme INDUSTRY"),
                                   ("A1", "FOO", "unknown classification scheme"),
                                   ("ILLEGAL", "NATIONAL:DEU", "unknown classification scheme"),
                                   ("maybe", "INTERPOL", "BASELINE, NOT_BASELINE")):
        body = await classify(api, analyst, file_id, label, scheme)
        [error] = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", body
        assert message in error["message"]
    body = await classify(api, analyst, file_id, "A2", "INDUSTRY")
    assert [c["source"] for c in body["data"]["classifyFile"]["files"][0][
        "classifications"]] == ["ESP", "ANALYST"]  # only the good one was written

    with pytest.raises(BadInput, match="not a label of scheme INTERPOL"):
        await import_list(db, list_version("lst", "1", "Example Hotline", "INTERPOL"),
                          read_csv(f"MD5,{'0' * 32},BASELINE\nMD5,{'1' * 32},A1\n"), by="test")
    with pytest.raises(BadInput, match="unknown classification scheme"):
        list_version("lst", "1", "Example Hotline", "NOPE")
    assert await versions(db) == []


async def test_the_vocabularies_are_public(api: Api) -> None:
    body = await api.gql("""{ classificationSchemes(countries: ["DE", "fr"]) {
        name open terms { label meaning } } }""")
    assert "errors" not in body, body
    schemes = body["data"]["classificationSchemes"]
    assert [s["name"] for s in schemes] == ["INDUSTRY", "INTERPOL", "NATIONAL:DE",
                                            "NATIONAL:FR", "ANALYST"]
    assert schemes[2]["terms"] == [
        {"label": "ILLEGAL", "meaning": "illegal under the law of DE"},
        {"label": "NOT_ILLEGAL", "meaning": "not illegal under the law of DE"}]
    bad = await api.gql('{ classificationSchemes(countries: ["Germany"]) { name } }')
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
