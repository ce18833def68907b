"""The plain-language label summary: who labelled what, and whether anyone viewed the file.

CyberTipline labels are misread when a reader cannot tell an ESP's hash-match label from an
analyst's label on a file someone looked at. This sentence puts the two side by side, with the
viewing facts the ESP reported. An investigator's client shows it as it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


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
    if source == "MATCH":
        return f"hash list {by} suggests {label}"
    return f"an automated match ({by}) labelled it {label}"


def label_summary(files: Sequence[Mapping[str, Any]]) -> str:
    """One sentence for a report's files: per file, what the ESP saw, then each label by
    whom (the ESP's first, then analysts', then automated suggestions and hash-list matches;
    a match whose list version was retired no longer counts)."""
    if not files:
        return "No files were reported."
    order = {"ESP": 0, "ANALYST": 1, "AUTOMATED": 2, "MATCH": 3}
    clauses = []
    for file in files:
        labels = sorted((c for c in file.get("classifications") or []
                         if c.get("retiredAt") is None),
                        key=lambda c: (order.get(c.get("source", ""), 4), str(c.get("at")),
                                       str(c.get("by"))))
        parts = [_viewing(file), *(_label(c) for c in labels)]
        if not labels:
            parts.append("no one labelled it")
        if file.get("publiclyAvailable"):
            parts.append("it was publicly available")
        name = file.get("fileName") or f"file {file.get('id')}"
        clauses.append(f"{name}: " + ", ".join(parts))
    count = f"{len(files)} file" + ("s" if len(files) != 1 else "")
    return f"{count} — " + "; ".join(clauses) + "."
