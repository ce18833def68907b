"""The plain-language label summary: who labelled what, and whether anyone viewed the file.

CyberTipline labels are misread when a reader cannot tell an ESP's hash-match label from an
analyst's label on a file someone looked at. This sentence puts the two side by side, with the
viewing facts the ESP reported. An investigator's client shows it as it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graph.matching.schemes import scheme_of, scheme_order


def _viewing(file: Mapping[str, Any]) -> str:
    viewed, exif = file.get("viewedByEsp"), file.get("exifViewedByEsp")
    if viewed is None:
        return "the ESP did not say whether anyone there viewed it"
    if not viewed:
        return "no one at the ESP viewed it"
    if exif is None:
        return "the ESP viewed the whole file"
    return "the ESP viewed the whole file" + (" and its EXIF data" if exif
                                              else " but not its EXIF data")


def _label(classification: Mapping[str, Any]) -> str:
    source = classification.get("source")
    by, label = classification.get("by"), classification.get("label")
    if source == "ESP":
        return f"the ESP ({by}) labelled it {label}"
    if source == "ANALYST":
        return f"analyst {by} labelled it {label}"
    if source == "MATCH" and classification.get("nearFile") is not None:
        return f"a near duplicate of a file an analyst labelled suggests {label}"
    if source == "MATCH":
        return f"hash list {by} suggests {label}"
    return f"an automated match ({by}) labelled it {label}"


def _scheme(name: str | None) -> str:
    if name is None:
        return ""
    if name.startswith("NATIONAL:"):
        return f"under the law of {name.removeprefix('NATIONAL:')} "
    return {"INDUSTRY": "in the industry categories ", "INTERPOL": "by the INTERPOL baseline ",
            "ANALYST": "in the analysts' categories "}.get(name, f"in scheme {name} ")


def label_summary(files: Sequence[Mapping[str, Any]]) -> str:
    """One sentence for a report's files: per file, what the ESP saw, then each scheme's labels
    side by side (industry, INTERPOL, national law, the analysts'), each label by whom (the
    ESP's first, then analysts', then automated suggestions and matches; a match whose list
    version was retired no longer counts)."""
    if not files:
        return "No files were reported."
    order = {"ESP": 0, "ANALYST": 1, "AUTOMATED": 2, "MATCH": 3}
    clauses = []
    for file in files:
        labels = sorted((c for c in file.get("classifications") or []
                         if c.get("retiredAt") is None),
                        key=lambda c: (scheme_order(scheme_of(c)),
                                       order.get(c.get("source", ""), 4), str(c.get("at")),
                                       str(c.get("by"))))
        parts = [_viewing(file)]
        for index, label in enumerate(labels):
            scheme = scheme_of(label)
            first = index == 0 or scheme_of(labels[index - 1]) != scheme
            parts.append((_scheme(scheme) if first else "") + _label(label))
        if not labels:
            parts.append("no one labelled it")
        if file.get("publiclyAvailable"):
            parts.append("it was publicly available")
        name = file.get("fileName") or f"file {file.get('id')}"
        clauses.append(f"{name}: " + ", ".join(parts))
    count = f"{len(files)} file" + ("s" if len(files) != 1 else "")
    return f"{count} — " + "; ".join(clauses) + "."
