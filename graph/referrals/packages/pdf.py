"""The readable form of a referral package, rendered with ReportLab from the package's content.

The first page answers what an investigator asks first: which report, why it was referred to
them, how urgent it is, and how to read its labels (who labelled what, and whether anyone at
the ESP viewed the file). Details follow: files with hashes and every classification's
provenance, identifiers and IP capture events with their geolocation's provenance,
jurisdictions and why, cross-references, the timeline. Every page's footer names the report,
the agency and the signing key. Rendering is deterministic (ReportLab's invariant mode): the
same content gives the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    LongTable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)

STYLES = getSampleStyleSheet()
BODY = ParagraphStyle("body", parent=STYLES["BodyText"], fontSize=9, leading=11.5)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=7.5, leading=9.5)
MONO = ParagraphStyle("mono", parent=SMALL, fontName="Courier", fontSize=7, leading=8.5)
H1 = ParagraphStyle("h1", parent=STYLES["Heading1"], fontSize=15, leading=18, spaceAfter=4)
H2 = ParagraphStyle("h2", parent=STYLES["Heading2"], fontSize=11.5, leading=14, spaceBefore=10,
                    spaceAfter=4)
BOX = ParagraphStyle("box", parent=BODY, backColor=colors.HexColor("#f3f1e8"),
                     borderColor=colors.HexColor("#8a7f55"), borderWidth=0.6, borderPadding=6,
                     spaceBefore=6, spaceAfter=10)
GRID = TableStyle([
    ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e4e4e4")),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ("FONT", (0, 0), (-1, -1), "Helvetica", 7.5, 9.5),
])


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ", ".join(f"{k.replace('_', ' ')}: {_text(v)}" for k, v in sorted(value.items())
                         if v not in (None, [], {})) or "—"
    if isinstance(value, list):
        separator = "; " if any(isinstance(v, dict) for v in value) else ", "
        return separator.join(_text(v) for v in value) or "—"
    return escape(str(value))


def _yes_no(value: bool | None, unknown: str = "not said") -> str:
    return unknown if value is None else ("yes" if value else "no")


def _p(text: str, style: ParagraphStyle = BODY) -> Paragraph:
    return Paragraph(text, style)


CHUNK = 25


def _cell(text: str, style: ParagraphStyle, width: float) -> Paragraph | str:
    """A plain cell that fits its column on one line is drawn as a string (no line breaking to
    compute: most of a big report's cells, and most of the rendering time); anything else is
    a Paragraph that wraps."""
    if "<" not in text and "&" not in text and \
            stringWidth(text, "Helvetica", 7.5) <= width - 7:
        return text
    return _p(text, style)


def _table(header: Sequence[str], rows: Iterable[Sequence[str]],
           widths: Sequence[float], style: ParagraphStyle = SMALL) -> list[Flowable]:
    """A grid with a header row, as tables of at most CHUNK rows: ReportLab lays a table out
    again at every page break, so one long table costs pages x rows; chunks cost rows."""
    body = [[_cell(cell, style, w * inch) for cell, w in zip(row, widths, strict=True)]
            for row in rows]
    if not body:
        return [_p("<i>None.</i>", SMALL)]
    tables: list[Flowable] = []
    for start in range(0, len(body), CHUNK):
        table = LongTable([[_p(f"<b>{h}</b>", SMALL) for h in header],
                           *body[start:start + CHUNK]],
                          colWidths=[w * inch for w in widths], repeatRows=1)
        table.setStyle(GRID)
        tables.append(table)
    return tables


def _facts(pairs: Sequence[tuple[str, str]]) -> Flowable:
    data = [[_p(f"<b>{k}</b>", SMALL), _p(v, SMALL)] for k, v in pairs]
    table = LongTable(data, colWidths=[1.7 * inch, 5.3 * inch])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LINEBELOW", (0, 0), (-1, -1), 0.2, colors.lightgrey)]))
    return table


SINGULAR = {"Reported people": "Reported person", "Intended recipients": "Intended recipient",
             "Victims": "Victim"}


def _people(title: str, people: list[dict[str, Any]] | None) -> list[Flowable]:
    if not people:
        return []
    story: list[Flowable] = [_p(f"<b>{title}</b>", BODY)]
    for index, person in enumerate(people, start=1):
        pairs = [(key.replace("_", " "), _text(value)) for key, value in sorted(person.items())
                 if value not in (None, [], {})]
        story += [_p(f"{SINGULAR.get(title, title)} {index}", SMALL),
                  _facts(pairs or [("(nothing)", "—")])]
    return story


FILES_ON_FIRST_PAGE = 5
PRIORITY_WORDS = {"P1": "P1 (imminent danger)", "UNSET": "not set by an analyst"}


def _label_overview(files: list[dict[str, Any]]) -> str:
    """The label summary in counts, for reports with many files (each file's sentence follows
    in the files section)."""
    viewed = sum(1 for f in files if f.get("viewedByEsp"))
    unsaid = sum(1 for f in files if f.get("viewedByEsp") is None)
    exif = sum(1 for f in files if f.get("exifViewedByEsp"))
    labels: dict[tuple[str, str, str, str], int] = {}
    for file in files:
        for c in file["classifications"]:
            if c.get("retiredAt") is None:  # a retired list's match no longer counts
                key = (str(c["label"]), str(c["source"]), str(c["by"]), str(c["scheme"]))
                labels[key] = labels.get(key, 0) + 1
    who = {"ESP": "the ESP", "ANALYST": "analyst", "AUTOMATED": "an automated match",
           "MATCH": "a match"}
    said = "; ".join(f"{who.get(source, source)} ({_text(by)}) labelled {n} of them "
                     f"<b>{_text(label)}</b> ({_text(scheme)})"
                     for (label, source, by, scheme), n in sorted(
                         labels.items(), key=lambda kv: (-kv[1], kv[0])))
    return (f"{len(files)} files. Someone at the ESP viewed {viewed} of them whole "
            f"({len(files) - viewed - unsaid} not viewed, {unsaid} not said) and the EXIF data "
            f"of {exif}. {said or 'No one labelled them'}. Each file's facts and labels, with "
            "who, when and on what basis, are in the files section.")


def _first_page(content: dict[str, Any]) -> list[Flowable]:
    """What an investigator asks first: which report, why it came to them, how to read it."""
    report, recipient = content["report"], content["recipient"]
    referral = content.get("referral")
    priority = PRIORITY_WORDS.get(report["priority"], _text(report["priority"]))
    story: list[Flowable] = [
        _p(f"CyberTipline report {report['id']} — referral to {_text(recipient['agencyName'])}",
           H1),
        _p(f"{_text(report['incidentType']).replace('_', ' ').title()} · incident "
           f"{_text(report['incidentDateTime'])} · submitted by {_text(report['reporter']['name'])}"
           f" ({_text(report['reporter']['id'])}) · priority <b>{priority}</b>", BODY),
    ]
    if report.get("escalateToHighPriority"):
        story.append(_p(f"<b>The ESP escalated this report:</b> "
                        f"{_text(report['escalateToHighPriority'])}", BOX))
    if referral:
        story.append(_p(f"<b>Why it was referred to you:</b> {_text(referral['reason'])} "
                        f"<br/><font size=7.5>Referred {_text(referral['at'])} by analyst "
                        f"{_text(referral['by'])}.</font>", BODY))
    files = content["files"]
    story.append(_p("<b>How to read its labels.</b> " + (
        _text(content["labelSummary"]) if len(files) <= FILES_ON_FIRST_PAGE
        else _label_overview(files)), BOX))
    if referral and referral["outcomes"]:
        story.append(_p("<b>What your agency has reported back:</b>", SMALL))
        story.extend(_table(["outcome", "note", "recorded", "by"], (
            [_text(o["outcome"]), _text(o["note"]), _text(o["at"]), _text(o["by"])]
            for o in referral["outcomes"]), [1.9, 2.9, 1.3, 0.9]))
    story.append(_p(f"<i>Personal data: {_text(recipient['personalData'])}. Scopes: "
                    f"{_text(recipient['scopes'])}.</i>", SMALL))
    return story


def _incident(report: dict[str, Any]) -> list[Flowable]:
    story: list[Flowable] = [_p("The incident", H2), _facts([
        ("Incident type", _text(report["incidentType"])),
        ("Incident time", _text(report["incidentDateTime"])),
        ("Time, as described", _text(report.get("incidentDateTimeDescription"))),
        ("Platform", _text(report.get("platform"))),
        ("Report annotations", _text(report.get("annotations"))),
        ("Batched (viral) report", _text(report.get("batchReason"))),
        ("Opened / submitted", f"{_text(report['openedAt'])} / {_text(report['finishedAt'])}"),
        ("Preserved until", _text(report.get("preserveUntil"))),
        ("Disposition", _text(report.get("disposition"))),
        ("ESP's additional information", _text(report.get("additionalInfo"))),
    ])]
    people = (_people("Reported people", report.get("reportedPeople"))
              + _people("Intended recipients", report.get("intendedRecipients"))
              + _people("Victims", report.get("victims")))
    if people:
        story += [_p("People named in the report", H2), *people]
    return story


def _files(content: dict[str, Any]) -> list[Flowable]:
    files = content["files"]
    story: list[Flowable] = [_p("Files, their hashes and every label's provenance", H2), _p(
        "Viewed by ESP: did anyone at the ESP view the whole file. EXIF viewed: did anyone "
        "view its EXIF data. A label's source is ESP (the provider's industry classification "
        "or hash match), ANALYST, AUTOMATED, or MATCH (a hash list's suggestion, never a "
        "verdict); read a label together with these facts.", SMALL)]
    if len(files) > FILES_ON_FIRST_PAGE:
        story.append(_p("<b>Label summary, file by file.</b> " + _text(content["labelSummary"]),
                        SMALL))
    story.extend(_table(
        ["file", "viewed by ESP / EXIF viewed / public", "hashes", "labels: who, when, basis"],
        ([f"<b>{_text(f['fileName'])}</b><br/>id {f['id']} · {_text(f['relevance'])}",
          f"{_yes_no(f['viewedByEsp'])} / {_yes_no(f['exifViewedByEsp'])} / "
          f"{_yes_no(f['publiclyAvailable'])}",
          "<br/>".join(f"<font name=Courier size=6.5>{_text(h['algorithm'])} "
                       f"{_text(h['value'])}</font> ({_text(h['source'])})"
                       for h in f["hashes"]) or "—",
          "<br/>".join(f"<b>{_text(c['label'])}</b> ({_text(c['scheme'])}) — "
                       f"{_text(c['source'])} ({_text(c['by'])}), {_text(c['at'])}; basis: "
                       f"{_text(c['basis'])}"
                       + (f"; retired {_text(c['retiredAt'])}" if c.get("retiredAt") else "")
                       for c in f["classifications"]) or "no labels"]
         for f in files), [1.3, 1.0, 2.2, 2.5]))
    return story


def _identifiers(content: dict[str, Any]) -> list[Flowable]:
    return [_p("Identifiers and IP capture events", H2), *_table(
        ["kind", "value", "role / event", "when", "geolocation (source, confidence)"],
        ([_text(i["kind"]), _text(i["value"]) + (f" <i>({_text(i['scope'])})</i>"
                                                 if i.get("scope") else ""),
          f"{_text(i['role'])}" + (f" / {_text(i['event'])}" if i.get("event") else "")
          + (" · possible proxy" if i.get("possibleProxy") else ""),
          _text(i.get("at")),
          "<br/>".join(f"{_text(g['code'])} ({_text(g['source'])}, {_text(g['confidence'])}, "
                       f"{_text(g['at'])})" for g in i.get("geolocation") or []) or "—"]
         for i in content["identifiers"]), [0.9, 2.2, 1.3, 1.2, 1.4])]


def _jurisdictions_and_links(content: dict[str, Any]) -> list[Flowable]:
    return [_p("Jurisdictions and why", H2), *_table(
        ["jurisdiction", "basis", "source / by", "confidence", "when", "reason"],
        ([f"{_text(j['code'])} {_text(j['name'])}",
          _text(j["basis"]).replace("_", " ").capitalize(),
          f"{_text(j['source'])} / {_text(j['by'])}", _text(j["confidence"]), _text(j["at"]),
          _text(j.get("reason"))] for j in content["jurisdictions"]),
        [1.3, 1.3, 1.4, 0.7, 1.2, 1.1]),
        _p("Cross-references you may see", H2), *_table(
        ["report", "score", "why", "shared identifiers"],
        ([_text(c["reportId"]), _text(c["score"]), _text(c["explanation"]),
          "<br/>".join(f"{_text(s['kind'])} {_text(s['value'])}" for s in c["shared"])]
         for c in content["crossReferences"]), [0.8, 0.6, 2.6, 3.0])]


def _timeline(content: dict[str, Any], *, json_sha256: str, key_id: str) -> list[Flowable]:
    return [_p("Timeline", H2), *_table(
        ["when", "what", "who", "detail"],
        ([_text(e["at"]), _text(e["what"]), f"{_text(e['source'])} {_text(e['by'])}",
          " ".join(x for x in (
              f"{_text(e.get('before'))} → {_text(e.get('after'))}" if e.get("after") else "",
              _text(e.get("reason")) if e.get("reason") else "") if x)]
         for e in content["timeline"]), [1.4, 1.1, 1.6, 2.9]),
        Spacer(1, 10), _p(
        f"This document and its JSON companion (SHA-256 {json_sha256}) were generated "
        f"{_text(content['generatedAt'])} and signed with tipgraph's Ed25519 key {key_id}. "
        "Run <font name=Courier>tipgraph package verify</font> on either file (with its .sig "
        "file) to check that nothing changed since.", SMALL)]


def render(content: dict[str, Any], *, json_sha256: str, key_id: str) -> bytes:
    """The PDF for ``content`` (a package's JSON content), section by section."""
    report, recipient = content["report"], content["recipient"]
    title = (f"tipgraph referral package — report {report['id']} for "
             f"{recipient['agencyName']}")
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=LETTER, leftMargin=0.75 * inch, rightMargin=0.75 * inch,
        topMargin=0.7 * inch, bottomMargin=0.8 * inch, title=title,
        author="tipgraph", subject=f"CyberTipline report {report['id']}",
        creator="tipgraph (ReportLab)", invariant=1, pageCompression=0)

    def footer(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 6.5)
        canvas.drawString(0.75 * inch, 0.5 * inch,
                          f"Report {report['id']} · agency {recipient['agencyId']} · generated "
                          f"{content['generatedAt']} · signed Ed25519 key {key_id} · JSON "
                          f"SHA-256 {json_sha256[:16]}…")
        canvas.drawString(0.75 * inch, 0.36 * inch,
                          "Check with: tipgraph package verify <file>  (the .sig file travels "
                          "with it). Law-enforcement sensitive.")
        canvas.drawRightString(LETTER[0] - 0.75 * inch, 0.36 * inch, f"Page {doc.page}")
        canvas.restoreState()

    story = (_first_page(content) + _incident(report) + _files(content) + _identifiers(content)
             + _jurisdictions_and_links(content)
             + _timeline(content, json_sha256=json_sha256, key_id=key_id))
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
