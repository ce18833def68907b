"""Report.referralPackage: the signed package an investigator receives, and its download link."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from authz.package_links import mint_link, package_recipient
from graph.referrals.packages.service import Package, make_package
from graph.referrals.packages.signing import public_pem
from resolvers.context import Context


@strawberry.type(description=(
    "A referral package: the report as one agency may read it, as a JSON document (`json`) "
    "and a PDF (`pdfUrl`), each signed with tipgraph's Ed25519 key. `signature` is over the "
    "exact bytes of `json` (UTF-8); `signatureFile` is the .sig file `tipgraph package verify` "
    "reads. Every package made is in the audit trail."))
class ReferralPackage:
    package: strawberry.Private[Package]
    pdf_url: str = strawberry.field(description=(
        "Download the PDF with this link (no header needed) until it expires "
        "(TIPGRAPH_PACKAGE_LINK_SECONDS); `.json`, `.pdf.sig` and `.json.sig` sit beside it."))
    public_key: str = strawberry.field(description="The signing key (PEM); pin it.")

    @strawberry.field(description="The JSON document, exactly as signed.")
    def json(self) -> str:
        return self.package.json.data.decode()

    @strawberry.field(description="SHA-256 (hex) of `json`'s UTF-8 bytes.")
    def sha256(self) -> str:
        return self.package.json.sha256

    @strawberry.field(description="Ed25519 signature (base64) of `json`'s UTF-8 bytes.")
    def signature(self) -> str:
        return self.package.json.signature

    @strawberry.field(description="The JSON form's .sig file (its manifest names sections).")
    def signature_file(self) -> str:
        return self.package.json.signature_file.decode()

    @strawberry.field(description="SHA-256 (hex) of the PDF.")
    def pdf_sha256(self) -> str:
        return self.package.pdf.sha256

    @strawberry.field(description="Ed25519 signature (base64) of the PDF's bytes.")
    def pdf_signature(self) -> str:
        return self.package.pdf.signature

    @strawberry.field
    def key_id(self) -> str:
        return str(self.package.json.envelope["keyId"])

    @strawberry.field
    def generated_at(self) -> datetime:
        return self.package.generated_at


async def referral_package(info: Info[Context, None], report_id: int,
                           agency_id: str | None) -> ReferralPackage:
    context = info.context
    principal = context.authenticated()
    agency, scopes = package_recipient(principal, agency_id)
    services = context.services
    services.limiter.check("expensive", principal.subject)
    package = await make_package(services.db, services.signer, report_id, agency,
                                 scopes=scopes,
                                 common_threshold=services.reads.common_identifier_reports)
    client = context.request.client
    await services.audit.append(package.audit_record(
        subject=principal.subject, role=principal.role.value, agency_id=principal.agency_id,
        operation="referralPackage", operation_type="package", request_id=context.request_id,
        client_address=client.host if client else None))
    link = mint_link(services.signer, principal, report_id=report_id, agency_id=agency,
                     scopes=scopes, generated_at=package.generated_at,
                     pdf_sha256=package.pdf.sha256, json_sha256=package.json.sha256,
                     seconds=services.reads.package_link_seconds)
    base = str(context.request.base_url).rstrip("/")
    return ReferralPackage(package=package, public_key=public_pem(services.signer.public_key),
                           pdf_url=f"{base}/packages/{report_id}.pdf?token={link}")

