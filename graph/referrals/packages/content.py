"""What a referral package says: one report, as one agency's token may read it.

Everything comes from the graph under the agency's row rule, and the scope rules apply as they
do in the API: without ``pii:read`` the personal data of reported people, recipients, victims
and the reporter's contacts is left out, and so are the values of e-mail and phone
identifiers. The package says so itself, in ``recipient.personalData``.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any, Final

from graph.core import loaders as readers
from graph.core.db import Database
from graph.core.errors import NotFound
from graph.core.visibility import RowScope
from graph.identifiers import crossrefs
from graph.identifiers.identity import PERSONAL_KINDS
from graph.links.export import plain
from graph.referrals.agencies import AGENCIES_BY_IDS
from graph.reports.personal import PERSONAL_KEYS
from graph.reports.reporters import reporters_by_ids
from graph.triage import enrichment
from graph.triage.provenance import label_summary
from graph.triage.service import history_for

FORMAT: Final = "tipgraph.referral-package/1"

# What is personal is declared once (graph.reports.personal); the GraphQL field rules derive
# from it too.
WITHHELD: Final = "[withheld: needs pii:read]"
FILES_WITHHELD: Final = ("Files withheld: the agency's token does not hold files:read (their "
                         "names, hashes and labels).")

# Where this report's enrichment placed each of its IPs (its own lookup, with its time; never
# the IP's latest lookup for some other report).
GEOLOCATIONS_BY_IDENTIFIER_IDS: Final = """
UNWIND $ids AS id
OPTIONAL MATCH (i:Identifier {id: id})
OPTIONAL MATCH (:Report {id: $reportId})-[x:IN_JURISDICTION {basis: 'GEOLOCATION'}]->(j)
  WHERE i.key IN x.ips
WITH id, x, j ORDER BY x.confidence DESC, j.code
RETURN id, collect(CASE WHEN j IS NULL THEN null ELSE
  {code: j.code, name: j.name, source: x.source, at: x.at, confidence: x.confidence} END)
  AS places
"""


def redact(value: Any) -> Any:
    """``value`` without the keys that hold personal data (at any depth)."""
    if isinstance(value, Mapping):
        return {k: redact(v) for k, v in value.items() if k not in PERSONAL_KEYS}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def _parts(node: Mapping[str, Any], key: str, pii: bool) -> Any:
    raw = node.get(key)
    if not raw:
        return None
    parsed = json.loads(raw)
    return parsed if pii else redact(parsed)


def _identifier(node: Mapping[str, Any], pii: bool) -> dict[str, Any]:
    personal = node["kind"] in PERSONAL_KINDS
    return {"kind": node["kind"], "value": node["value"] if pii or not personal else WITHHELD,
            "scope": node.get("scope")}


async def build_content(db: Database, report_id: int, agency_id: str, *,
                        scopes: Collection[str], generated_at: datetime,
                        common_threshold: int) -> dict[str, Any]:
    """The package's content for ``agency_id``, or ``NOT_FOUND`` when it may not see the
    report (the same answer as for a report that does not exist)."""
    rows = RowScope(agency_id=agency_id)
    pii = "pii:read" in scopes
    with_files = "files:read" in scopes  # files, their hashes and labels
    [report] = await readers.reports_by_ids(db, [report_id], rows=rows)
    [agency] = await readers.keyed(db, AGENCIES_BY_IDS, "agency", [agency_id])
    if report is None or agency is None:
        raise NotFound(f"report {report_id} does not exist")
    [files] = await readers.files_by_report_ids(db, [report_id])
    file_ids = [f["id"] for f in files]
    hashes = await readers.hashes_by_file_ids(db, file_ids) if file_ids else []
    labels = await readers.classifications_by_file_ids(db, file_ids) if file_ids else []
    [mentions] = await readers.mentions_by_report_ids(db, [report_id])
    ip_ids = sorted({m["identifier"]["id"] for m in mentions
                     if m["identifier"]["kind"] == "IP_ADDRESS"})
    places = dict(zip(ip_ids, await readers.keyed_lists(
        db, GEOLOCATIONS_BY_IDENTIFIER_IDS, "places", ip_ids, reportId=report_id),
        strict=True)) if ip_ids else {}
    [jurisdictions] = await readers.keyed_lists(db, enrichment.JURISDICTIONS_BY_REPORT_IDS,
                                                "jurisdictions", [report_id])
    [referrals] = await readers.referrals_by_report_ids(db, [report_id], rows=rows)
    [history] = await readers.events_by_report_ids(db, [report_id])
    related = await crossrefs.cross_references(db, report_id, rows=rows,
                                               threshold=common_threshold,
                                               include_common=False, first=20)
    [reporter] = await reporters_by_ids(db, [report["reporterId"]])

    file_rows = [{**f, "classifications": c} for f, c in zip(files, labels, strict=True)]
    referral = next((r for r in referrals if r["agencyId"] == agency_id), None)
    timeline = [{"at": report["openedAt"], "what": "OPENED", "source": "ESP",
                 "by": report["reporterId"]}]
    if report.get("finishedAt") is not None:
        timeline.append({"at": report["finishedAt"], "what": "SUBMITTED", "source": "ESP",
                         "by": report["reporterId"]})
    for entry in history:
        if not history_for(entry, analyst=False, agency_id=agency_id):
            continue
        timeline.append({"at": entry["at"], "what": entry["kind"], "source": entry["source"],
                         "by": entry["by"], "before": entry.get("before"),
                         "after": entry.get("after"), "reason": entry.get("reason"),
                         "fileId": entry.get("fileId")})
    timeline.sort(key=lambda e: plain(e["at"]))

    content = {
        "format": FORMAT,
        "generatedAt": generated_at,
        "recipient": {
            "agencyId": agency["id"], "agencyName": agency["name"],
            "scopes": sorted(scopes),
            "personalData": "included" if pii else
            "withheld: the agency's token does not hold pii:read",
            "files": "included" if with_files else
            "withheld: the agency's token does not hold files:read",
        },
        "report": {
            "id": report["id"], "status": report["status"],
            "incidentType": report["incidentType"],
            "incidentDateTime": report["incidentAt"],
            "incidentDateTimeDescription": report.get("incidentDateTimeDescription"),
            "reporter": {"id": report["reporterId"],
                         "name": reporter["name"] if reporter else report["reporterId"]},
            "platform": report.get("platform"),
            "escalateToHighPriority": report.get("escalation"),
            "annotations": report.get("annotations") or [],
            "additionalInfo": report.get("additionalInfo"),
            "batchReason": report.get("batchReason"),
            "openedAt": report["openedAt"], "finishedAt": report.get("finishedAt"),
            "preserveUntil": report.get("preserveUntil"),
            "priority": report.get("priority") or "UNSET",
            "disposition": report.get("disposition") or "PENDING",
            "reportedPeople": _parts(report, "reportedPeople", pii),
            "intendedRecipients": _parts(report, "intendedRecipients", pii),
            "victims": _parts(report, "victims", pii),
            "internetDetails": _parts(report, "internetDetails", pii),
            "lawEnforcement": _parts(report, "lawEnforcement", pii),
            "reporterContact": _parts(report, "reporterContact", pii),
        },
        "referral": None if referral is None else {
            "agencyId": agency_id, "at": referral["at"], "by": referral["by"],
            "reason": referral["reason"],
            "outcomes": [{"outcome": o["outcome"], "note": o.get("note"), "at": o["at"],
                          "by": o["by"]} for o in referral.get("outcomes") or []],
        },
        "labelSummary": label_summary(file_rows) if with_files else FILES_WITHHELD,
        "timeline": timeline,
        "files": [{
            "id": f["id"], "fileName": f.get("fileName"),
            "originalFileName": f.get("originalFileName"),
            "relevance": f.get("relevance", "REPORTED"),
            "viewedByEsp": f.get("viewedByEsp"), "exifViewedByEsp": f.get("exifViewedByEsp"),
            "publiclyAvailable": f.get("publiclyAvailable"),
            "uploadedToEspAt": f.get("uploadedToEspAt"),
            "locationOfFile": f.get("locationOfFile"),
            "annotations": f.get("annotations") or [],
            "industryClassification": f.get("industryClassification"),
            "details": _parts(f, "details", pii),
            "ipCaptureEvent": _parts(f, "ipCaptureEvent", pii),
            "hashes": [{"algorithm": h["algorithm"], "value": h["value"],
                        "source": h.get("source") or "ESP"} for h in file_hashes],
            "classifications": [{"label": c["label"], "source": c["source"], "by": c["by"],
                                 "at": c["at"], "basis": c.get("basis")} for c in file_labels],
            "contentHeld": f.get("contentRef") is not None,
        } for f, file_hashes, file_labels in zip(files, hashes, labels, strict=True)
            if with_files],
        "identifiers": [{
            **_identifier(m["identifier"], pii),
            "role": m["mention"].get("role"), "party": m["mention"].get("party"),
            "event": m["mention"].get("event"), "at": m["mention"].get("at"),
            "port": m["mention"].get("port"),
            "possibleProxy": m["mention"].get("possibleProxy"),
            "fileId": m["mention"].get("fileId"), "source": m["mention"].get("source", "ESP"),
            "geolocation": places.get(m["identifier"]["id"]) or None,
        } for m in mentions if with_files or m["mention"].get("role") != "FILE"],
        "jurisdictions": [{"code": j["code"], "name": j["name"], "basis": j["basis"],
                           "source": j["source"], "by": j["by"], "at": j["at"],
                           "confidence": j.get("confidence"), "reason": j.get("reason")}
                          for j in jurisdictions],
        "crossReferences": [{
            "reportId": row["report"]["id"], "incidentType": row["report"]["incidentType"],
            "finishedAt": row["report"].get("finishedAt"), "score": row["score"],
            "explanation": row["explanation"],
            "shared": sorted((_identifier(s["identifier"], pii) for s in row["shared"]
                              if with_files or s["identifier"]["kind"] != "FILE_HASH"),
                             key=lambda i: (i["kind"], str(i["scope"]), i["value"])),
        } for row in related],
    }
    document: dict[str, Any] = plain(content)
    return document
