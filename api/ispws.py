"""The CyberTipline Reporting API at ``/ispws``: ESPs' existing integrations, unchanged.

Endpoints, element names, the XML declaration and response shapes are those of NCMEC's
reference (../shared/reference/cybertipline/reporting-api.txt): ``GET /status``, ``GET /xsd``,
``POST /submit`` (a ``<report>``), ``/upload`` (multipart ``id`` and ``file``), ``/fileinfo``
(a ``<fileDetails>``), ``/finish`` and ``/retract`` (form ``id``). Authentication is HTTP Basic
with each ESP's credentials (:mod:`authz.basic`).

Behind the protocol is the one intake service the GraphQL door uses, so the rules (validation,
lifecycle, expiry, Appendix E) are the same. Every outcome has its Appendix D code:

======  ====  ==============================================================================
HTTP    code  when
======  ====  ==============================================================================
200     0     success
401     2000  no or wrong credentials (with ``WWW-Authenticate: Basic``)
403     3100  the ESP may not submit
400     4000  a request without its ``id``, or with a malformed one
400     4100  not valid against the XSD, or the intake's validation (Appendix E at /finish)
400     4110  not well-formed XML (or a DOCTYPE)
400     4200  a malformed multipart upload (no ``file`` part, several, bad boundary)
413     1111  an upload or document over its size limit (nothing of it is kept)
404     5001  the report does not exist, or belongs to another ESP
404     5002  the file does not exist in that report
409     5101  the report was retracted, or expired unfinished (deleted by the expiry rule)
409     5102  the report is already finished
429     1000  too many requests (``Retry-After``)
503     1000  the graph database is unavailable (``Retry-After``)
======  ====  ==============================================================================

Uploaded bytes stream through hashing and encryption into the content store
(:mod:`graph.reports.blobs`); they are never held whole in memory nor written in the clear.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Final

from neo4j import AsyncManagedTransaction
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from authz.basic import EspCredentials, Throttled
from graph.core.db import run
from graph.core.errors import (
    BadInput,
    Conflict,
    Forbidden,
    NotFound,
    RateLimited,
    ReportExpired,
    ServiceUnavailable,
    TipgraphError,
)
from graph.core.tracing import request_span
from graph.core.vocabulary import XSD_PATH
from graph.matching import perceptual
from graph.reports.blobs import BlobWriter, ContentStore, TooLarge
from graph.reports.intake.service import UploadedContent
from graph.reports.intake.xml import (
    file_details_document,
    read_xml,
    report_document,
    report_done_response,
    report_response,
    xml_message,
)
from graph.reports.queries import FILES_BY_REPORT_IDS
from resolvers.services import Services

log = logging.getLogger("tipgraph.ispws")

PREFIX: Final = "/ispws"
MEDIA_TYPE: Final = "application/xml"
MAX_FIELD_BYTES: Final = 1024  # the form's `id`
REALM: Final = 'Basic realm="tipgraph CyberTipline Reporting API", charset="UTF-8"'

DESCRIPTIONS: Final = {
    0: "Success", 1000: "Server error", 1111: "File upload failed", 2000: "Authentication required",
    3100: "User does not have authorization to make submissions", 4000: "Invalid request",
    4100: "Validation failed", 4110: "Malformed XML submittal", 4200: "Malformed file submittal",
    5001: "Report does not exist", 5002: "File does not exist",
    5101: "Report already retracted", 5102: "Report already finished",
}


DESCRIPTION_HEADER: Final = "X-Response-Description"


@dataclass
class Refusal(Exception):
    """An answer other than success: HTTP status, Appendix D code and what went wrong."""

    status: int
    code: int
    detail: str | None = None
    report_id: int | None = None
    retry_after: float | None = None

    def response(self, *, done: bool = False) -> Response:
        """The refusal in the endpoint's root element: ``reportDoneResponse`` for /finish
        (``done``), ``reportResponse`` for the others."""
        description = DESCRIPTIONS.get(self.code, "Error")
        if self.detail:
            description = f"{description}: {self.detail}"
        headers = {}
        if self.status == 401:
            headers["WWW-Authenticate"] = REALM
        if self.retry_after is not None:
            headers["Retry-After"] = str(max(1, round(self.retry_after)))
        if done:
            # reportDoneResponse has no description element: the explanation travels in a
            # header, so the body stays valid against the XSD
            headers[DESCRIPTION_HEADER] = description.encode("ascii", "replace").decode()[:500]
            return xml_response(report_done_response(self.code, self.report_id, []),
                                self.status, headers)
        return xml_response(report_response(self.code, description, self.report_id),
                            self.status, headers)


def xml_response(body: bytes, status: int = 200,
                 headers: dict[str, str] | None = None) -> Response:
    return Response(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def too_large(limit: int) -> Response:
    """What the edge answers on /ispws when a body passes its limit."""
    return Refusal(413, 1111, f"the request body is larger than {limit} bytes").response()


def refusal_for(error: TipgraphError, report_id: int | None) -> Refusal:
    """The Appendix D answer for a domain error."""
    message = error.message
    if isinstance(error, TooLarge):
        return Refusal(413, 1111, message, report_id)
    if isinstance(error, BadInput):
        if error.details.get("xml") == "MALFORMED":
            return Refusal(400, 4110, message, report_id)
        if error.field and not error.details.get("xml"):
            message = xml_message(message, error.field)  # the intake's rules, in XML names
        return Refusal(400, 4100, message, report_id)
    if isinstance(error, NotFound):
        return Refusal(404, 5002 if error.details.get("entity") == "file" else 5001, message,
                       report_id)
    if isinstance(error, Conflict):
        reason = error.details.get("reason")
        if reason == "ALREADY_FINISHED":
            return Refusal(409, 5102, message, report_id)
        if reason == "ALREADY_CANCELLED":
            return Refusal(409, 5101, message, report_id)
        return Refusal(400, 4100, message, report_id)
    if isinstance(error, ReportExpired):
        return Refusal(409, 5101, f"{message}; it was retracted by the expiry rule", report_id)
    if isinstance(error, Forbidden):
        return Refusal(403, 3100, message, report_id)
    if isinstance(error, RateLimited):
        return Refusal(429, 1000, message, report_id, float(error.details.get("retryAfter", 1)))
    if isinstance(error, ServiceUnavailable):
        return Refusal(503, 1000, "the service is unavailable; try again shortly", report_id, 5)
    return Refusal(500, 1000, None, report_id)


# -- authentication ------------------------------------------------------------------------------

def _basic(request: Request) -> tuple[str, str]:
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        raise Refusal(401, 2000)
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise Refusal(401, 2000, "the Authorization header is not valid Basic") from None
    username, separator, password = decoded.partition(":")
    if not separator or not username or len(username) > 256 or len(password) > 1024:
        raise Refusal(401, 2000)
    return username, password


async def authenticate(request: Request, credentials: EspCredentials) -> tuple[str, str]:
    """(ESP id, username) for the request's credentials, or a 401 (code 2000)."""
    username, password = _basic(request)
    try:
        reporter_id = await credentials.verify(
            username, password, request.client.host if request.client else None)
    except Throttled as throttled:
        raise Refusal(429, 1000, str(throttled), None, throttled.retry_after) from None
    if reporter_id is None:
        raise Refusal(401, 2000, "the username or password is wrong")
    return reporter_id, username


# -- request bodies ------------------------------------------------------------------------------

def parse_report_id(raw: str | None) -> int:
    if raw is None or not raw.strip():
        raise Refusal(400, 4000, "the report id ('id') is required")
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise Refusal(400, 4000, f"{text[:40]!r} is not a report id")
    return int(text)


async def form_id(request: Request) -> int:
    """The ``id`` of a small form (``--form id=...`` or urlencoded)."""
    try:
        form = await request.form(max_files=0, max_fields=8, max_part_size=MAX_FIELD_BYTES)
    except HTTPException as error:  # Starlette's answer to a malformed or oversized form
        raise Refusal(400, 4000, f"the form could not be read: {error.detail}") from None
    except (MultiPartException, FormParserError, AssertionError, ValueError,
            KeyError) as error:
        raise Refusal(400, 4000, f"the form could not be read ({type(error).__name__})") from None
    value = form.get("id")
    if isinstance(value, UploadFile):
        raise Refusal(400, 4000, "'id' must be a form field, not a file")
    return parse_report_id(value)


class _UploadReader:
    """A streamed multipart upload: the ``file`` part goes through a blob, ``id`` is kept."""

    def __init__(self, store: ContentStore, limit: int) -> None:
        self.store = store
        self.limit = limit
        self.fields: dict[str, bytes] = {}
        self.blob: BlobWriter | None = None
        self.file_name: str | None = None
        self.files = 0
        self._headers: dict[bytes, bytes] = {}
        self._field: bytes = b""
        self._value: bytes = b""
        self._name: str | None = None
        self._target: BlobWriter | bytearray | None = None

    def on_part_begin(self) -> None:
        self._headers = {}

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[self._field.lower()] = self._value
        self._field, self._value = b"", b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name")
        if name is None:
            raise Refusal(400, 4200, "a multipart part has no name")
        self._name = name.decode("utf-8", "replace")
        if b"filename" in options or self._name == "file":
            self.files += 1
            if self._name != "file" or self.files > 1:
                raise Refusal(400, 4200, "an upload carries exactly one part named 'file'")
            raw = options.get(b"filename", b"").decode("utf-8", "replace")
            self.file_name = raw.replace("\\", "/").rsplit("/", 1)[-1] or None
            self.blob = self._target = self.store.open_blob(self.limit)
        else:
            self._target = bytearray()

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if isinstance(self._target, BlobWriter):
            self._target.write(data[start:end])
        elif self._target is not None:
            self._target += data[start:end]
            if len(self._target) > MAX_FIELD_BYTES:
                raise Refusal(400, 4000, f"the field {self._name!r} is too long")

    def on_part_end(self) -> None:
        if isinstance(self._target, bytearray) and self._name is not None:
            self.fields[self._name] = bytes(self._target)
        self._target = None

    async def read(self, request: Request) -> None:
        content_type = request.headers.get("content-type", "")
        kind, params = parse_options_header(content_type)
        boundary = params.get(b"boundary")
        if kind != b"multipart/form-data" or not boundary:
            raise Refusal(400, 4200, "an upload is multipart/form-data with 'id' and 'file'")
        parser = MultipartParser(boundary, {
            "on_part_begin": self.on_part_begin, "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end, "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value, "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
        })
        try:
            async for chunk in request.stream():
                parser.write(chunk)
            parser.finalize()
        except FormParserError as error:
            raise Refusal(400, 4200, f"the multipart body is malformed ({error})") from None
        if self.blob is None:
            raise Refusal(400, 4200, "the upload has no 'file' part")

    def abort(self) -> None:
        if self.blob is not None:
            self.blob.abort()


# -- endpoints -----------------------------------------------------------------------------------

Handler = Callable[[Request, Services, str], Awaitable[Response]]


def endpoint(handler: Handler, *, mutating: bool,
             done: bool = False) -> Callable[[Request], Awaitable[Response]]:
    """Authentication, rate limits and the Appendix D mapping around one handler (``done``:
    its refusals answer in /finish's root element)."""
    async def run(request: Request) -> Response:
        route = request.url.path.rsplit("/", 1)[-1]
        with request_span(f"ispws {request.method} /{route}",
                          {"http.request.method": request.method,
                           "http.route": f"/ispws/{route}"}) as span:
            response = await answer(request)
            span.set_attribute("http.response.status_code", response.status_code)
            return response

    async def answer(request: Request) -> Response:
        services: Services = request.app.state.tipgraph.services
        try:
            reporter_id, username = await authenticate(request, services.credentials)
            if mutating:
                services.limiter.check("mutation", f"esp:{reporter_id}")
            request.state.esp_username = username
            return await handler(request, services, reporter_id)
        except Refusal as refusal:
            return refusal.response(done=done)
        except TipgraphError as error:
            answer = refusal_for(error, getattr(request.state, "report_id", None))
            if done:
                log.info("/finish refused with %s: %s", answer.code, answer.detail)
            return answer.response(done=done)
        except ClientDisconnect:
            return Response(status_code=400)
        except Exception:
            log.exception("unexpected error on %s", request.url.path)
            return Refusal(500, 1000).response(done=done)
    return run


async def status(request: Request, services: Services, reporter_id: str) -> Response:
    address = request.client.host if request.client else "unknown"
    description = f"Remote User : {request.state.esp_username}, Remote Ip : {address}"
    return xml_response(report_response(0, description))


async def xsd(request: Request, services: Services, reporter_id: str) -> Response:
    return Response(XSD_PATH.read_bytes(), media_type=MEDIA_TYPE)


def idempotency_key(request: Request) -> str | None:
    """The optional ``Idempotency-Key`` header: a POST retried with the same key answers what
    the first one did (the same report id, file id), and changes nothing more."""
    return request.headers.get("idempotency-key")


async def submit(request: Request, services: Services, reporter_id: str) -> Response:
    document = report_document(read_xml(await request.body(), "report"))
    report = await services.intake.open_report(reporter_id, document, idempotency_key(request))
    return xml_response(report_response(0, "Success", report["id"]))


# Decoding images for PDQ runs on one thread of its own, off the event loop: uploads never
# take more than one core for it, nor more than one more allocator arena.
PERCEPTUAL_THREAD: Final = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tipgraph-pdq")


def _perceptual_hash(store: ContentStore, address: str) -> str | None:
    """The stored bytes' PDQ hash (off the event loop: decrypting and decoding take a while)."""
    return perceptual.pdq_of(store.read(address))


async def upload(request: Request, services: Services, reporter_id: str) -> Response:
    store = services.intake.content
    assert store is not None  # the app always configures one
    reader = _UploadReader(store, request.app.state.tipgraph.settings.max_upload_bytes)
    try:
        await reader.read(request)
        report_id = request.state.report_id = parse_report_id(
            reader.fields.get("id", b"").decode("utf-8", "replace"))
        services.intake.check_upload(reader.file_name)  # before the bytes are kept
    except BaseException:
        reader.abort()
        raise
    blob = reader.blob
    assert blob is not None
    store.keep(blob)
    pdq = (await asyncio.get_running_loop().run_in_executor(
               PERCEPTUAL_THREAD, _perceptual_hash, store, blob.address)
           if blob.size <= perceptual.MAX_BYTES and perceptual.looks_like_image(blob.head)
           else None)
    content = UploadedContent(address=blob.address, size=blob.size, md5=blob.md5,
                              sha1=blob.sha1, file_name=reader.file_name, pdq=pdq)
    file = await services.intake.add_file(reporter_id, report_id, {}, content,
                                          idempotency_key(request))
    return xml_response(report_response(0, "Success", report_id, str(file["id"]), blob.md5))


async def fileinfo(request: Request, services: Services, reporter_id: str) -> Response:
    report_id, raw_file_id, document = file_details_document(
        read_xml(await request.body(), "fileDetails"))
    request.state.report_id = report_id
    if not (raw_file_id.isascii() and raw_file_id.isdigit()) or len(raw_file_id) > 18:
        raise Refusal(404, 5002, f"file {raw_file_id[:40]!r} does not exist", report_id)
    await services.intake.set_file_details(reporter_id, report_id, int(raw_file_id), document,
                                           idempotency_key(request))
    return xml_response(report_response(0, "Success", report_id, raw_file_id))


async def finish(request: Request, services: Services, reporter_id: str) -> Response:
    report_id = request.state.report_id = await form_id(request)
    await services.intake.finish_report(reporter_id, report_id, idempotency_key(request))
    file_ids = await services.db.read(_file_ids_tx, report_id)
    return xml_response(report_done_response(0, report_id, [str(i) for i in file_ids]))


async def retract(request: Request, services: Services, reporter_id: str) -> Response:
    report_id = request.state.report_id = await form_id(request)
    await services.intake.cancel_report(reporter_id, report_id, idempotency_key(request))
    return xml_response(report_response(0, "Success", report_id))


async def _file_ids_tx(tx: AsyncManagedTransaction, report_id: int) -> list[int]:
    records = await run(tx, FILES_BY_REPORT_IDS, ids=[report_id])
    return [f["id"] for f in records[0]["files"]] if records else []


def routes() -> list[Route]:
    return [
        Route(f"{PREFIX}/status", endpoint(status, mutating=False), methods=["GET"]),
        Route(f"{PREFIX}/xsd", endpoint(xsd, mutating=False), methods=["GET"]),
        Route(f"{PREFIX}/submit", endpoint(submit, mutating=True), methods=["POST"]),
        Route(f"{PREFIX}/upload", endpoint(upload, mutating=True), methods=["POST"]),
        Route(f"{PREFIX}/fileinfo", endpoint(fileinfo, mutating=True), methods=["POST"]),
        Route(f"{PREFIX}/finish", endpoint(finish, mutating=True, done=True), methods=["POST"]),
        Route(f"{PREFIX}/retract", endpoint(retract, mutating=True), methods=["POST"]),
    ]
