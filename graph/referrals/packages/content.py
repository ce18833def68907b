"""What a referral package says: one report, as one agency's token may read it.

Everything comes from the graph under the agency's row rule, and the scope rules apply as they
do in the API: without ``pii:read`` the personal data of reported people, recipients, victims
and the reporter's contacts is left out, and so are the values of e-mail and phone
identifiers. The package says so itself, in ``recipient.personalData``.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from graph.core import loaders
from graph.core.db import Database
from graph.core.errors import NotFound
from graph.core.visibility import RowScope
from graph.identifiers import crossrefs
from graph.identifiers.identity import PERSONAL_KINDS
from graph.links.export import plain
from graph.matching.schemes import scheme_of, scheme_order
from graph.referrals import loaders as referral_loaders
from graph.referrals.agencies import AGENCIES_BY_IDS
from graph.reports import loaders as report_loaders
from graph.reports.outward import FILE_FIELDS, REPORT_FIELDS, REPORT_PARTS, outward
from graph.reports.personal import PERSONAL_KEYS
from graph.reports.reporters import reporters_by_ids
from graph.triage import enrichment
from graph.triage import loaders as triage_loaders
from graph.triage.provenance import label_summary
from graph.triage.service import history_for

# /2: a file's uploadedToEspTimestamp and contentStored, named as in GraphQL (graph.reports.outward)
FORMAT: Final = "tipgraph.referral-package/2"

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


@dataclass(frozen=True)
class _Read:
    """Everything a package says, read under the agency's row rule (one report's worth)."""

    report: dict[str, Any]
    agency: dict[str, Any]
    reporter: dict[str, Any] | None
    files: list[dict[str, Any]]
    hashes: list[list[dict[str, Any]]]
    labels: list[list[dict[str, Any]]]
    mentions: list[dict[str, Any]]
    places: dict[str, list[dict[str, Any]]]
    jurisdictions: list[dict[str, Any]]
    referrals: list[dict[str, Any]]
    history: list[dict[str, Any]]
    related: list[dict[str, Any]]


async def _read(db: Database, report_id: int, agency_id: str, common_threshold: int) -> _Read:
    rows = RowScope(agency_id=agency_id)
    [report] = await report_loaders.reports_by_ids(db, [report_id], rows=rows)
    [agency] = await loaders.keyed(db, AGENCIES_BY_IDS, "agency", [agency_id])
    if report is None or agency is None:
        raise NotFound(f"report {report_id} does not exist")
    [files] = await report_loaders.files_by_report_ids(db, [report_id])
    file_ids = [f["id"] for f in files]
    [mentions] = await report_loaders.mentions_by_report_ids(db, [report_id])
    ip_ids = sorted({m["identifier"]["id"] for m in mentions
                     if m["identifier"]["kind"] == "IP_ADDRESS"})
    places = dict(zip(ip_ids, await loaders.keyed_lists(
        db, GEOLOCATIONS_BY_IDENTIFIER_IDS, "places", ip_ids, reportId=report_id),
        strict=True)) if ip_ids else {}
    [jurisdictions] = await loaders.keyed_lists(db, enrichment.JURISDICTIONS_BY_REPORT_IDS,
                                                "jurisdictions", [report_id])
    [referrals] = await referral_loaders.referrals_by_report_ids(db, [report_id], rows=rows)
    [history] = await triage_loaders.events_by_report_ids(db, [report_id])
    [reporter] = await reporters_by_ids(db, [report["reporterId"]])
    return _Read(
        report=report, agency=agency, reporter=reporter, files=files,
        hashes=await report_loaders.hashes_by_file_ids(db, file_ids) if file_ids else [],
        labels=await report_loaders.classifications_by_file_ids(db, file_ids) if file_ids else [],
        mentions=mentions, places=places, jurisdictions=jurisdictions, referrals=referrals,
        history=history,
        related=await crossrefs.cross_references(db, report_id, rows=rows,
                                                 threshold=common_threshold,
                                                 include_common=False, first=20))


def _timeline(read: _Read, agency_id: str) -> list[dict[str, Any]]:
    """The ESP's opening and finishing, then what this agency may read of the history."""
    report = read.report
    timeline = [{"at": report["openedAt"], "what": "OPENED", "source": "ESP",
                 "by": report["reporterId"]}]
    if report.get("finishedAt") is not None:
        timeline.append({"at": report["finishedAt"], "what": "SUBMITTED", "source": "ESP",
                         "by": report["reporterId"]})
    for entry in read.history:
        if not history_for(entry, analyst=False, agency_id=agency_id):
            continue
        timeline.append({"at": entry["at"], "what": entry["kind"], "source": entry["source"],
                         "by": entry["by"], "before": entry.get("before"),
                         "after": entry.get("after"), "reason": entry.get("reason"),
                         "fileId": entry.get("fileId")})
    timeline.sort(key=lambda e: plain(e["at"]))
    return timeline


def _report(read: _Read, pii: bool) -> dict[str, Any]:
    report, reporter = read.report, read.reporter
    return {
        "id": report["id"], "status": report["status"],
        **outward(report, REPORT_FIELDS),
        "reporter": {"id": report["reporterId"],
                     "name": reporter["name"] if reporter else report["reporterId"]},
        "annotations": report.get("annotations") or [],
        "priority": report.get("priority") or "UNSET",
        "disposition": report.get("disposition") or "PENDING",
        **{key: _parts(report, key, pii) for key in REPORT_PARTS},
    }


def _files(read: _Read, pii: bool) -> list[dict[str, Any]]:
    return [{
        "id": f["id"], **outward(f, FILE_FIELDS),
        "relevance": f.get("relevance", "REPORTED"),
        "annotations": f.get("annotations") or [],
        "details": _parts(f, "details", pii),
        "ipCaptureEvent": _parts(f, "ipCaptureEvent", pii),
        "hashes": [{"algorithm": h["algorithm"], "value": h["value"],
                    "source": h.get("source") or "ESP"} for h in file_hashes],
        "classifications": [{"label": c["label"], "scheme": scheme_of(c), "source": c["source"],
                             "by": c["by"], "at": c["at"], "basis": c.get("basis"),
                             "retiredAt": c.get("retiredAt")}
                            for c in sorted(file_labels, key=lambda c: scheme_order(
                                scheme_of(c)))],
        "contentStored": f.get("contentRef") is not None,
    } for f, file_hashes, file_labels in zip(read.files, read.hashes, read.labels, strict=True)]


def _identifiers(read: _Read, pii: bool, with_files: bool) -> list[dict[str, Any]]:
    return [{
        **_identifier(m["identifier"], pii),
        "role": m["mention"].get("role"), "party": m["mention"].get("party"),
        "event": m["mention"].get("event"), "at": m["mention"].get("at"),
        "port": m["mention"].get("port"),
        "possibleProxy": m["mention"].get("possibleProxy"),
        "fileId": m["mention"].get("fileId"), "source": m["mention"].get("source", "ESP"),
        "geolocation": read.places.get(m["identifier"]["id"]) or None,
    } for m in read.mentions if with_files or m["mention"].get("role") != "FILE"]


def _cross_references(read: _Read, pii: bool, with_files: bool) -> list[dict[str, Any]]:
    return [{
        "reportId": row["report"]["id"], "incidentType": row["report"]["incidentType"],
        "finishedAt": row["report"].get("finishedAt"), "score": row["score"],
        "explanation": row["explanation"],
        "shared": sorted((_identifier(s["identifier"], pii) for s in row["shared"]
                          if with_files or s["identifier"]["kind"] != "FILE_HASH"),
                         key=lambda i: (i["kind"], str(i["scope"]), i["value"])),
    } for row in read.related]


async def build_content(db: Database, report_id: int, agency_id: str, *,
                        scopes: Collection[str], generated_at: datetime,
                        common_threshold: int) -> dict[str, Any]:
    """The package's content for ``agency_id``, or ``NOT_FOUND`` when it may not see the
    report (the same answer as for a report that does not exist)."""
    read = await _read(db, report_id, agency_id, common_threshold)
    pii = "pii:read" in scopes
    with_files = "files:read" in scopes  # files, their hashes and labels
    referral = next((r for r in read.referrals if r["agencyId"] == agency_id), None)
    file_rows = [{**f, "classifications": c} for f, c in zip(read.files, read.labels,
                                                               strict=True)]
    content = {
        "format": FORMAT,
        "generatedAt": generated_at,
        "recipient": {
            "agencyId": read.agency["id"], "agencyName": read.agency["name"],
            "scopes": sorted(scopes),
            "personalData": "included" if pii else
            "withheld: the agency's token does not hold pii:read",
            "files": "included" if with_files else
            "withheld: the agency's token does not hold files:read",
        },
        "report": _report(read, pii),
        "referral": None if referral is None else {
            "agencyId": agency_id, "at": referral["at"], "by": referral["by"],
            "reason": referral["reason"],
            "outcomes": [{"outcome": o["outcome"], "note": o.get("note"), "at": o["at"],
                          "by": o["by"]} for o in referral.get("outcomes") or []],
        },
        "labelSummary": label_summary(file_rows) if with_files else FILES_WITHHELD,
        "timeline": _timeline(read, agency_id),
        "files": _files(read, pii) if with_files else [],
        "identifiers": _identifiers(read, pii, with_files),
        "jurisdictions": [{"code": j["code"], "name": j["name"], "basis": j["basis"],
                           "source": j["source"], "by": j["by"], "at": j["at"],
                           "confidence": j.get("confidence"), "reason": j.get("reason")}
                          for j in read.jurisdictions],
        "crossReferences": _cross_references(read, pii, with_files),
    }
    document: dict[str, Any] = plain(content)
    return document
