"""Token-protected downloads of referral packages.

``GET /packages/{reportId}.pdf`` (also ``.json``, ``.pdf.sig``, ``.json.sig``) with either

- ``?token=<link>`` from ``Report.referralPackage.pdfUrl``: rebuilds exactly the package the
  link was made for (the same moment and scopes give the same bytes), or answers CONFLICT when
  the report changed since; or
- ``Authorization: Bearer <token>``: a fresh package for the caller's agency (an analyst adds
  ``?agency=<id>``).

Every download is audited. Responses carry the file's SHA-256, its Ed25519 signature and the
key id in headers, and are never cached. ``GET /packages/signing-key`` publishes the public key
(PEM) to pin.
"""

from __future__ import annotations

import re
from typing import Final

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.graphql import bearer_token, error_response
from authz.audit import unverified_subject
from authz.package_links import package_recipient, verify_link
from graph.audit.trail import AuditRecord
from graph.core.errors import Conflict, NotFound, RateLimited, TipgraphError, Unauthenticated
from graph.referrals.packages.service import Package, SignedFile, make_package
from graph.referrals.packages.signing import Signer, key_id, public_pem
from resolvers.services import Services

NAME: Final = re.compile(r"^(?P<id>[0-9]{1,18})\.(?P<form>pdf|json)(?P<sig>\.sig)?\Z")
STATUS: Final = {"UNAUTHENTICATED": 401, "FORBIDDEN": 403, "NOT_FOUND": 404,
                 "BAD_USER_INPUT": 400, "CONFLICT": 409, "RATE_LIMITED": 429,
                 "SERVICE_UNAVAILABLE": 503}
MEDIA: Final = {"pdf": "application/pdf", "json": "application/json"}


async def _package(request: Request, services: Services, report_id: int) -> tuple[
        Package, str, str, str | None]:
    """The package, and who downloads it (subject, role, agency) for the audit trail."""
    link = request.query_params.get("token")
    reads = services.reads
    if link is not None:
        claims = verify_link(services.signer, link)
        revocations = services.verifier.revocations
        if claims.parent_token_id is not None and revocations is not None and \
                await revocations.is_revoked(claims.parent_token_id):
            raise Unauthenticated("the token this link was made with was revoked")
        if claims.report_id != report_id:
            raise NotFound(f"report {report_id} does not exist")
        package = await make_package(services.db, services.signer, report_id, claims.agency_id,
                                     scopes=claims.scopes, generated_at=claims.generated_at,
                                     common_threshold=reads.common_identifier_reports)
        if package.pdf.sha256 != claims.pdf_sha256 or package.json.sha256 != claims.json_sha256:
            raise Conflict("the report changed since this link was made; ask for the package "
                           "again")
        return package, claims.subject, claims.role, (
            claims.agency_id if claims.role == "le" else None)
    token = bearer_token(request.headers.get("authorization"))
    if token is None:
        raise Unauthenticated("use the link from referralPackage.pdfUrl, or a bearer token")
    principal = await services.verifier.verify(token)
    agency, scopes = package_recipient(principal, request.query_params.get("agency"))
    services.limiter.check("expensive", principal.subject)
    package = await make_package(services.db, services.signer, report_id, agency,
                                 scopes=scopes,
                                 common_threshold=reads.common_identifier_reports)
    return package, principal.subject, principal.role.value, principal.agency_id


async def _refused(request: Request, services: Services, report_id: int | None,
                   error: TipgraphError) -> Response:
    """Every attempt is audited, a refused one too: who tried (as the token says, unverified),
    which report, and why not."""
    headers = {"Retry-After": "5"} if isinstance(error, RateLimited) else None
    client = request.client
    credential = request.query_params.get("token") or request.headers.get(
        "authorization", "").removeprefix("Bearer ").strip() or None
    try:
        await services.audit.append(AuditRecord(
            subject=unverified_subject(credential), role="unverified",
            operation="packageDownload", operation_type="download", query_hash="-",
            outcome=error.code, request_id=request.scope.get("state", {}).get(
                "request_id", "-"),
            client_address=client.host if client else None,
            asked_report_ids=(report_id,) if report_id is not None else (),
            detail=f"refused: {request.path_params['name'][:80]}: {error.message[:200]}"))
    except TipgraphError:
        return error_response("The audit trail is unavailable; nothing can be served until it "
                              "is back.", "SERVICE_UNAVAILABLE", 503, {"Retry-After": "5"})
    return error_response(error.message, error.code, STATUS.get(error.code, 400), headers)


async def download(request: Request) -> Response:
    services: Services = request.app.state.tipgraph.services
    match = NAME.match(request.path_params["name"])
    if match is None:
        return await _refused(request, services, None, NotFound(
            "ask for <reportId>.pdf, .json, .pdf.sig or .json.sig"))
    report_id = int(match["id"])
    try:
        package, subject, role, agency = await _package(request, services, report_id)
    except TipgraphError as error:
        return await _refused(request, services, report_id, error)
    signed: SignedFile = package.pdf if match["form"] == "pdf" else package.json
    client = request.client
    try:
        await services.audit.append(package.audit_record(
            subject=subject, role=role, agency_id=agency, operation="packageDownload",
            operation_type="download",
            request_id=request.scope.get("state", {}).get("request_id", "-"),
            client_address=client.host if client else None,
            file=signed.name + (match["sig"] or "")))
    except TipgraphError as error:
        return error_response("The audit trail is unavailable; nothing can be served until it "
                              "is back.", error.code, 503, {"Retry-After": "5"})
    name = signed.name + (match["sig"] or "")
    body = signed.signature_file if match["sig"] else signed.data
    return Response(body, media_type="application/json" if match["sig"] else
                    MEDIA[match["form"]], headers={
                        "Content-Disposition": f'attachment; filename="{name}"',
                        "Cache-Control": "no-store",
                        "X-Content-SHA256": signed.sha256,
                        "X-Signature-Ed25519": signed.signature,
                        "X-Signing-Key-Id": key_id(services.signer.public_key)})


async def signing_key(request: Request) -> Response:
    services: Services = request.app.state.tipgraph.services
    return Response(public_pem(services.signer.public_key), media_type="application/x-pem-file",
                    headers={"X-Signing-Key-Id": key_id(services.signer.public_key)})


async def signing_keys(request: Request) -> Response:
    """The current package-signing key and every retired one, with its validity: what a
    recipient needs to verify any package tipgraph signed."""
    signer: Signer = request.app.state.tipgraph.services.signer
    return JSONResponse({
        "current": {"keyId": key_id(signer.public_key), "algorithm": "Ed25519",
                    "publicKey": public_pem(signer.public_key)},
        "retired": [key.public() for key in signer.retired]})


def routes() -> list[Route]:
    return [Route("/packages/signing-key", signing_key, methods=["GET"]),
            Route("/packages/signing-keys", signing_keys, methods=["GET"]),
            Route("/packages/{name}", download, methods=["GET"])]
