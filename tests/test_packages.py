"""Referral packages: signed PDF and JSON an investigator can read, check, and trust.

The PDF is read the way an investigator's tools read it (poppler's pdftotext and pdftoppm).
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from strawberry.permission import PermissionExtension

from api.settings import Settings
from authz.fields import HasScope
from authz.roles import Role, Scope
from graph.core.db import Database, run
from graph.referrals.agencies import AgencyKind, AgencySpec, upsert_agency
from graph.referrals.packages.signing import public_pem
from graph.reports.personal import PERSONAL_KEYS
from graph.reports.reporters import register_reporter
from graph.triage.enrichment import EnrichmentWorker
from graph.triage.geo import geo_provider
from resolvers.reports import parts
from tests.conftest import Api, Tokens
from tests.documents import FULL_INPUT, SUBMIT_REPORT
from tests.helpers import tipgraph

PACKAGE = """
query Package($id: ID!, $agency: ID) {
  report(id: $id) {
    referralPackage(agencyId: $agency) {
      json sha256 signature signatureFile pdfUrl pdfSha256 pdfSignature keyId publicKey
    }
  }
}
"""

# Personal data FULL_INPUT holds (synthetic): none of it may reach a package without pii:read.
PERSONAL_VALUES = ("1 Example Way", "suspect@example.com", "415 555 0101",
                   "+14155550101", "Example Elementary", "victim@example.com",
                   "reporter@example.org", "linked@example.net", "1996-01-01")

NEEDS_POPPLER = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
    reason="poppler-utils (pdftotext, pdftoppm) are not installed; `make install` adds them")


async def referred_report(api: Api, db: Database, tokens: Tokens) -> int:
    """FULL_INPUT submitted, enriched, labelled by an analyst and referred to icac-ca."""
    await register_reporter(db, "example-esp", "Example ESP")
    body = await api.gql(SUBMIT_REPORT, {"input": FULL_INPUT}, token=tokens.esp())
    report = body["data"]["submitReport"]
    await EnrichmentWorker(db, geo_provider(None), 50).run_due()
    analyst = tokens.mint(Role.ANALYST, subject="analyst-ana")
    await upsert_agency(db, AgencySpec("icac-ca", "California ICAC",
                                       AgencyKind.ICAC_TASK_FORCE, ("US-CA",)))
    for query, variables in (
            ("""mutation($f: ID!) { classifyFile(fileId: $f, label: "CSAM-confirmed",
                basis: "analyst viewed the file") { id } }""",
             {"f": report["files"][0]["id"]}),
            ("""mutation($id: ID!) { setPriority(reportId: $id, priority: P1,
                reason: "stated intent to meet") { id } }""", {"id": report["id"]}),
            ("""mutation($id: ID!) { referReport(reportId: $id, agencyId: "icac-ca",
                reason: "IP geolocates to California; suspect plans to meet") { id } }""",
             {"id": report["id"]})):
        answer = await api.gql(query, variables, token=analyst)
        assert "errors" not in answer, answer
    return int(report["id"])


async def package(api: Api, token: str, report_id: int,
                  agency: str | None = None) -> dict[str, Any]:
    body = await api.gql(PACKAGE, {"id": report_id, "agency": agency}, token=token)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["report"]["referralPackage"]
    return result


async def field_names(api: Api, type_name: str, token: str) -> set[str]:
    body = await api.gql("query($t: String!) { __type(name: $t) { fields { name } } }",
                         {"t": type_name}, token=token)
    return {field["name"] for field in body["data"]["__type"]["fields"]}


async def download(api: Api, url: str) -> tuple[bytes, dict[str, str]]:
    parts_ = urlsplit(url)
    response = await api.client.get(f"{parts_.path}?{parts_.query}")
    assert response.status_code == 200, response.text
    return response.content, dict(response.headers)


def test_the_package_strips_what_the_graphql_field_rules_mark_personal() -> None:
    # given every report part's fields that need pii:read in GraphQL
    personal = set()
    for cls in vars(parts).values():
        definition = getattr(cls, "__strawberry_definition__", None)
        for field in getattr(definition, "fields", ()):
            for extension in field.extensions:
                if isinstance(extension, PermissionExtension) and any(
                        isinstance(p, HasScope) and p.scope is Scope.PII_READ
                        for p in extension.permissions):
                    personal.add(field.python_name)
    # then the package's list of personal keys is the same list
    assert personal == set(PERSONAL_KEYS)


async def test_an_investigator_gets_a_signed_package_that_verifies(
        api: Api, db: Database, tokens: Tokens, settings: Settings, tmp_path: Path) -> None:
    report_id = await referred_report(api, db, tokens)
    officer = tokens.mint(Role.LE, agency_id="icac-ca", subject="det-ramos")
    # when the investigator asks for the package
    result = await package(api, officer, report_id)
    # then the JSON is signed over its exact bytes, with the published key
    data = result["json"].encode()
    key = Ed25519PublicKey.from_public_bytes(
        base64.b64decode(json.loads(result["signatureFile"])["publicKey"]))
    key.verify(base64.b64decode(result["signature"]), data)  # raises when it does not verify
    pem = (await api.client.get("/packages/signing-key")).text
    assert pem == result["publicKey"]
    document = json.loads(data)
    assert document["report"]["id"] == report_id
    assert document["recipient"]["agencyId"] == "icac-ca"
    assert document["referral"]["reason"].startswith("IP geolocates to California")
    # every label with its provenance, beside the viewing facts
    [file] = document["files"]
    assert (file["viewedByEsp"], file["exifViewedByEsp"], file["publiclyAvailable"]) == (
        True, True, False)
    sources = {(c["label"], c["source"], c["by"]) for c in file["classifications"]}
    assert ("CSAM-confirmed", "ANALYST", "analyst-ana") in sources
    assert ("B1", "ESP", "example-esp") in sources
    assert all(c["at"] and c["basis"] for c in file["classifications"])
    assert file["hashes"] == [{"algorithm": "SHA256", "value": "a" * 64, "source": "ESP"}]
    assert "analyst analyst-ana labelled it CSAM-confirmed" in document["labelSummary"]
    # identifiers with capture events, jurisdictions with their basis
    upload = next(i for i in document["identifiers"] if i["value"] == "198.51.100.20")
    assert (upload["event"], upload["possibleProxy"], upload["port"]) == ("UPLOAD", True, 443)
    assert {j["basis"] for j in document["jurisdictions"]} >= {"ESP_ESTIMATED_LOCATION"}
    assert [e["what"] for e in document["timeline"]][:2] == ["OPENED", "SUBMITTED"]
    assert "REFERRAL" in [e["what"] for e in document["timeline"]]
    # a field has one public name: the package's report and file say what GraphQL says
    assert set(document["report"]) <= await field_names(api, "Report", officer)
    assert set(file) <= await field_names(api, "File", officer)
    # and the downloaded PDF and both signature files verify with the CLI
    pdf, headers = await download(api, result["pdfUrl"])
    assert pdf.startswith(b"%PDF")
    assert headers["x-content-sha256"] == result["pdfSha256"]
    assert headers["x-signature-ed25519"] == result["pdfSignature"]
    assert headers["cache-control"] == "no-store"
    pdf_sig, _ = await download(api, result["pdfUrl"].replace(".pdf?", ".pdf.sig?"))
    (tmp_path / "p.pdf").write_bytes(pdf)
    (tmp_path / "p.pdf.sig").write_bytes(pdf_sig)
    (tmp_path / "p.json").write_bytes(data)
    (tmp_path / "p.json.sig").write_text(result["signatureFile"])
    for name in ("p.pdf", "p.json"):
        checked = tipgraph(settings, "package", "verify", str(tmp_path / name))
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert json.loads(checked.stdout)["ok"] is True


@pytest.mark.parametrize("form", ["json", "pdf"])
async def test_changing_one_byte_fails_verification_and_names_what_changed(
        api: Api, db: Database, tokens: Tokens, settings: Settings, tmp_path: Path,
        form: str) -> None:
    report_id = await referred_report(api, db, tokens)
    result = await package(api, tokens.mint(Role.LE, agency_id="icac-ca"), report_id)
    if form == "json":
        data, signature = result["json"].encode(), result["signatureFile"].encode()
        # one byte of the referral reason: "California" -> "Californiz"
        at = data.index(b"California;") + len("Californi")
    else:
        data, _ = await download(api, result["pdfUrl"])
        signature, _ = await download(api, result["pdfUrl"].replace(".pdf?", ".pdf.sig?"))
        at = data.index(b"Why it was referred")  # text on page 1's content stream
    tampered = data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]
    (tmp_path / f"p.{form}").write_bytes(tampered)
    (tmp_path / f"p.{form}.sig").write_bytes(signature)
    checked = tipgraph(settings, "package", "verify", str(tmp_path / f"p.{form}"))
    assert checked.returncode == 1
    verdict = json.loads(checked.stdout)
    assert verdict["ok"] is False
    assert any("not the one that was signed" in p for p in verdict["problems"])
    assert verdict["changed"] == (["referral changed"] if form == "json"
                                  else ["page 1 changed"]), verdict
    # and every single-byte change anywhere fails (a sample across the file)
    for position in range(0, len(data), max(1, len(data) // 40)):
        flipped = data[:position] + bytes([data[position] ^ 0x20]) + data[position + 1:]
        (tmp_path / f"p.{form}").write_bytes(flipped)
        assert tipgraph(settings, "package", "verify", str(tmp_path / f"p.{form}")).returncode == 1


async def test_a_package_for_an_agency_without_pii_read_holds_no_personal_data(
        api: Api, db: Database, tokens: Tokens) -> None:
    report_id = await referred_report(api, db, tokens)
    officer = tokens.mint(Role.LE, agency_id="icac-ca", scope="report:read files:read")
    result = await package(api, officer, report_id)
    pdf, _ = await download(api, result["pdfUrl"])
    text = pdf_text(pdf) if shutil.which("pdftotext") else pdf.decode("latin-1")
    document = json.loads(result["json"])
    assert document["recipient"]["personalData"].startswith("withheld")
    for value in PERSONAL_VALUES:
        assert value not in result["json"], value
        assert value not in text, value
    assert '"Synthetic"' not in result["json"]  # the reported person's first name
    assert "first name" not in text
    # ... while the same package with pii:read holds them
    full = await package(api, tokens.mint(Role.LE, agency_id="icac-ca"), report_id)
    assert "suspect@example.com" in full["json"]
    assert "Example Elementary" in full["json"]


async def test_only_the_referred_agency_and_analysts_get_packages(
        api: Api, db: Database, tokens: Tokens) -> None:
    report_id = await referred_report(api, db, tokens)
    await upsert_agency(db, AgencySpec("other", "Other", AgencyKind.STATE, ("US-NY",)))
    # another agency does not see the report at all
    body = await api.gql(PACKAGE, {"id": report_id},
                         token=tokens.mint(Role.LE, agency_id="other"))
    assert body["data"]["report"] is None
    # an investigator cannot ask for another agency's package
    body = await api.gql(PACKAGE, {"id": report_id, "agency": "other"},
                         token=tokens.mint(Role.LE, agency_id="icac-ca"))
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # an analyst previews it for the agency it was referred to, not for another
    analyst = tokens.mint(Role.ANALYST)
    assert (await package(api, analyst, report_id, "icac-ca"))["sha256"]
    body = await api.gql(PACKAGE, {"id": report_id, "agency": "other"}, token=analyst)
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    body = await api.gql(PACKAGE, {"id": report_id}, token=analyst)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # an ESP gets none
    body = await api.gql(PACKAGE, {"id": report_id}, token=tokens.esp())
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_downloads_need_a_good_link_or_token_and_are_audited(
        api: Api, db: Database, tokens: Tokens) -> None:
    report_id = await referred_report(api, db, tokens)
    officer = tokens.mint(Role.LE, agency_id="icac-ca", subject="det-link")
    result = await package(api, officer, report_id)
    path = urlsplit(result["pdfUrl"]).path
    cases = [(path, {}, 401), (f"{path}?token=forged", {}, 401),
             (f"/packages/{report_id + 1}.pdf?{urlsplit(result['pdfUrl']).query}", {}, 404),
             (f"/packages/{report_id}.exe", {}, 404),
             (path, {"Authorization": "Bearer nope"}, 401),
             (path, {"Authorization": f"Bearer {tokens.esp()}"}, 403)]
    for url, headers, status in cases:
        response = await api.client.get(url, headers=headers)
        assert response.status_code == status, (url, response.text)
        assert response.json()["errors"][0]["extensions"]["code"]
    # a bearer token works too (a fresh package), JSON form included
    response = await api.client.get(f"/packages/{report_id}.json",
                                    headers={"Authorization": f"Bearer {officer}"})
    assert response.status_code == 200
    assert json.loads(response.content)["report"]["id"] == report_id
    # the report changes after the link was made: the link is refused, not silently different
    await api.gql("""mutation($id: ID!) { recordReferralOutcome(reportId: $id,
        outcome: RECEIVED) { latestOutcome } }""", {"id": report_id}, token=officer)
    response = await api.client.get(f"{path}?{urlsplit(result['pdfUrl']).query}")
    assert response.status_code == 409
    # and every package made or downloaded is in the audit trail
    records = await db.read(lambda tx: run(tx, """
        MATCH (e:AuditEvent {subject: 'det-link'}) WHERE e.operationType IN ['package', 'download']
        RETURN e.operation AS operation, e.detail AS detail, e.reportIds AS reports
        ORDER BY e.seq"""))
    assert [r["operation"] for r in records] == ["referralPackage", "packageDownload"]
    assert all(result["pdfSha256"] in r["detail"] for r in records[:1])
    assert all(r["reports"] == [report_id] for r in records)


async def test_the_cli_writes_a_package_that_verifies(
        api: Api, db: Database, tokens: Tokens, settings: Settings, tmp_path: Path) -> None:
    report_id = await referred_report(api, db, tokens)
    made = tipgraph(settings, "package", "--report", str(report_id), "--agency", "icac-ca",
                    "--out", str(tmp_path))
    assert made.returncode == 0, made.stderr
    written = json.loads(made.stdout)["written"]
    assert sorted(Path(p).name for p in written) == sorted(
        f"tipgraph-report-{report_id}-icac-ca{suffix}"
        for suffix in (".json", ".json.sig", ".pdf", ".pdf.sig"))
    for path in written:
        if not path.endswith(".sig"):
            assert tipgraph(settings, "package", "verify", path).returncode == 0
    # a package signed by another key is not trusted
    public = tmp_path / "other-pub.pem"
    public.write_text(public_pem(Ed25519PrivateKey.generate().public_key()))
    pdf = next(p for p in written if p.endswith(".pdf"))
    checked = tipgraph(settings, "package", "verify", pdf, "--public-key", str(public))
    assert checked.returncode == 1
    assert "not the trusted key" in checked.stdout
    # and bad input is a clear refusal
    assert tipgraph(settings, "package", "verify").returncode == 2
    missing = tipgraph(settings, "package", "--report", "999999", "--agency", "icac-ca",
                       "--out", str(tmp_path))
    assert missing.returncode == 1
    assert "does not exist" in missing.stderr


def poppler(tool: str, *args: str, pdf: bytes) -> bytes:
    path = shutil.which(tool)
    assert path is not None, f"{tool} is not installed"
    return subprocess.run([path, *args], input=pdf, capture_output=True, check=True).stdout


def pdf_text(pdf: bytes, *, layout: bool = True) -> str:
    """The PDF as text: laid out as on the page, or in reading order (``layout=False``)."""
    return poppler("pdftotext", "-layout" if layout else "-raw", "-", "-", pdf=pdf).decode()


def page_images(pdf: bytes, folder: Path) -> list[int]:
    """Render every page to PNG at 50 dpi; the files' sizes."""
    poppler("pdftoppm", "-r", "50", "-png", "-", str(folder / "page"), pdf=pdf)
    return [p.stat().st_size for p in sorted(folder.glob("page*.png"))]


@NEEDS_POPPLER
async def test_the_pdf_reads_as_text_and_renders_as_an_image(
        api: Api, db: Database, tokens: Tokens, tmp_path: Path) -> None:
    report_id = await referred_report(api, db, tokens)
    result = await package(api, tokens.mint(Role.LE, agency_id="icac-ca"), report_id)
    pdf, _ = await download(api, result["pdfUrl"])
    text = pdf_text(pdf)
    first_page = text.split("\f")[0]
    # the first page: which report, for whom, why, how urgent, how to read its labels
    for fact in (f"CyberTipline report {report_id}", "California ICAC", "Why it was referred",
                 "IP geolocates to California", "priority P1", "How to read its labels",
                 "analyst analyst-ana labelled it CSAM-confirmed", "the ESP (example-esp)",
                 "labelled it B1", "viewed the whole file", "Synthetic: stated intent to meet"):
        assert fact in " ".join(first_page.split()), fact
    # and the rest: hashes, provenance of labels and geolocation, jurisdictions, timeline
    flat = " ".join(pdf_text(pdf, layout=False).split())
    for fact in ("analyst viewed the file", "198.51.100.20", "UPLOAD",
                 "US-CA California", "Esp estimated location", "Timeline", result["keyId"]):
        assert fact in flat, fact
    assert "a" * 64 in flat.replace(" ", "")  # the hash (wrapped in its cell)
    # it renders: one PNG per page, not blank
    sizes = page_images(pdf, tmp_path)
    assert sizes
    assert all(size > 2000 for size in sizes)
