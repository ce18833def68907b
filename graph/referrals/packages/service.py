"""Making a referral package: the content, its two forms, their signatures.

Given the same graph, agency, scopes and ``generated_at``, the bytes are the same (ReportLab's
invariant mode; Ed25519 is deterministic), so a download link can rebuild exactly the package
it was made for, and refuse when the report changed in between.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from graph.audit.trail import AuditRecord
from graph.core.db import Database
from graph.referrals.packages.content import build_content
from graph.referrals.packages.pdf import render
from graph.referrals.packages.signing import Signer, json_sections, key_id, pdf_sections


@dataclass(frozen=True)
class SignedFile:
    name: str
    data: bytes
    envelope: dict[str, Any]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def signature(self) -> str:
        return str(self.envelope["signature"])

    @property
    def signature_file(self) -> bytes:
        return (json.dumps(self.envelope, indent=2, sort_keys=True) + "\n").encode()


@dataclass(frozen=True)
class Package:
    report_id: int
    agency_id: str
    generated_at: datetime
    json: SignedFile
    pdf: SignedFile

    def files(self) -> dict[str, bytes]:
        """Every file of the package by name: both forms and their signature files."""
        return {self.json.name: self.json.data, f"{self.json.name}.sig": self.json.signature_file,
                self.pdf.name: self.pdf.data, f"{self.pdf.name}.sig": self.pdf.signature_file}

    def audit_record(self, *, subject: str, role: str, agency_id: str | None, operation: str,
                     operation_type: str, request_id: str, client_address: str | None = None,
                     file: str | None = None) -> AuditRecord:
        """The audit event for making or handing out this package (``file``: which one of its
        files was served): who, for which agency, and the digests of both forms."""
        served = f"{file} " if file else ""
        return AuditRecord(
            subject=subject, role=role, agency_id=agency_id, operation=operation,
            operation_type=operation_type, query_hash="-", report_ids=(self.report_id,),
            outcome="OK", request_id=request_id, client_address=client_address,
            detail=f"{served}for agency {self.agency_id}: referral package json sha256 "
                   f"{self.json.sha256} pdf sha256 {self.pdf.sha256}")


def package_name(report_id: int, agency_id: str) -> str:
    return f"tipgraph-report-{report_id}-{agency_id}"


def document_bytes(content: dict[str, Any]) -> bytes:
    return (json.dumps(content, indent=2, ensure_ascii=False) + "\n").encode()


async def make_package(db: Database, signer: Signer, report_id: int, agency_id: str, *,
                       scopes: Collection[str], common_threshold: int,
                       generated_at: datetime | None = None) -> Package:
    """Build and sign the package of ``report_id`` for ``agency_id`` with ``scopes``
    (``NOT_FOUND`` when the agency may not see the report)."""
    moment = (generated_at or datetime.now(UTC)).replace(microsecond=0)
    content = await build_content(db, report_id, agency_id, scopes=scopes,
                                  generated_at=moment, common_threshold=common_threshold)
    name = package_name(report_id, agency_id)
    stamp = moment.isoformat()
    json_data = document_bytes(content)
    json_file = SignedFile(f"{name}.json", json_data,
                           signer.envelope(f"{name}.json", json_data, json_sections(json_data),
                                           stamp))
    pdf_data = render(content, json_sha256=json_file.sha256, key_id=key_id(signer.public_key))
    pdf_file = SignedFile(f"{name}.pdf", pdf_data,
                          signer.envelope(f"{name}.pdf", pdf_data, pdf_sections(pdf_data), stamp))
    return Package(report_id, agency_id, moment, json_file, pdf_file)
