"""Classification schemes, side by side: each a name, what it means, and its vocabulary.

A file can carry labels under several schemes at once, the way INHOPE's ICCAM classifies each
file by the INTERPOL baseline and by national law next to the industry categories. Every label
(a ``Classification``) names its scheme; a label outside its scheme's vocabulary is refused.

- ``INDUSTRY``: the ESPs' industry categories, A1 to B2, as the CyberTipline XSD lists them
  (``industryClassification``). ESP labels are under it.
- ``INTERPOL``: the INTERPOL baseline: material that is illegal in every member country.
- ``NATIONAL:CC``: the law of one country (ISO 3166 alpha-2 code), one scheme per country.
- ``ANALYST``: the clearinghouse's own categories. Its vocabulary is open: the terms listed are
  suggested, and an analyst may use another (1 to 64 characters), as before schemes existed.

Labels written before schemes existed have none stored: an ESP's is ``INDUSTRY`` and an
analyst's ``ANALYST`` (:func:`scheme_of`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from graph.core.errors import BadInput


@dataclass(frozen=True, slots=True)
class Term:
    label: str
    meaning: str


@dataclass(frozen=True, slots=True)
class Scheme:
    name: str
    description: str
    terms: tuple[Term, ...]
    open: bool = False  # whether a label outside the terms is allowed

    def check(self, label: str) -> str:
        """The label as stored, or ``BadInput`` naming the vocabulary."""
        text = label.strip()
        if any(text == t.label for t in self.terms):
            return text
        if self.open and 0 < len(text) <= 64 and text.isprintable():
            return text
        allowed = ", ".join(t.label for t in self.terms)
        raise BadInput(f"{label!r} is not a label of scheme {self.name} ({allowed})",
                       field="label")


INDUSTRY: Final = Scheme(
    "INDUSTRY", "The industry classification ESPs send (CyberTipline industryClassification).",
    (Term("A1", "a prepubescent minor: a sex act"),
     Term("A2", "a prepubescent minor: a lascivious exhibition"),
     Term("B1", "a pubescent minor: a sex act"),
     Term("B2", "a pubescent minor: a lascivious exhibition")))
INTERPOL: Final = Scheme(
    "INTERPOL", "The INTERPOL baseline: material illegal in every INTERPOL member country.",
    (Term("BASELINE", "meets the INTERPOL baseline"),
     Term("NOT_BASELINE", "does not meet the INTERPOL baseline")))
ANALYST: Final = Scheme(
    "ANALYST", "The clearinghouse's own categories; the terms are suggested, others allowed.",
    (Term("CSAM-confirmed", "an analyst viewed it and confirms apparent child sexual abuse "
                            "material"),
     Term("CSAM-suspected", "an analyst suspects it without confirming"),
     Term("not-CSAM", "an analyst viewed it: not child sexual abuse material"),
     Term("age-indeterminate", "an analyst cannot tell whether the person is a minor")),
    open=True)
FIXED: Final = (INDUSTRY, INTERPOL, ANALYST)
ORDER: Final = {"INDUSTRY": 0, "INTERPOL": 1, "ANALYST": 3}  # national schemes between, by code
NATIONAL: Final = re.compile(r"NATIONAL:([A-Z]{2})\Z")


def national(country: str) -> Scheme:
    return Scheme(f"NATIONAL:{country}", f"The law of the country with ISO code {country}.",
                  (Term("ILLEGAL", f"illegal under the law of {country}"),
                   Term("NOT_ILLEGAL", f"not illegal under the law of {country}")))


def scheme(name: str) -> Scheme:
    """The scheme of that name (a national one for any ISO country code), or ``BadInput``."""
    text = name.strip().upper()
    for fixed in FIXED:
        if text == fixed.name:
            return fixed
    if found := NATIONAL.match(text):
        return national(found.group(1))
    raise BadInput(f"unknown classification scheme {name!r}: INDUSTRY, INTERPOL, ANALYST, or "
                   "NATIONAL:CC for a country's ISO code", field="scheme")


def scheme_of(classification: dict[str, Any]) -> str | None:
    """A label's scheme; those written before schemes existed by their source."""
    stored = classification.get("scheme")
    if stored:
        return str(stored)
    return {"ESP": "INDUSTRY", "ANALYST": "ANALYST"}.get(str(classification.get("source")))


def scheme_order(name: str | None) -> tuple[int, str]:
    """Schemes side by side: industry, INTERPOL, national law by country, the analysts'."""
    if name is None:
        return (4, "")
    return (ORDER.get(name, 2 if NATIONAL.match(name) else 4), name)


def described(name: str) -> Scheme:
    """The scheme of that name, or, for a name stored before schemes were checked, a scheme
    that says it is not known."""
    try:
        return scheme(name)
    except BadInput:
        return Scheme(name, "A scheme this version of tipgraph does not know.", (), open=True)
