"""The Starlette app factory. One Neo4j driver per process, opened in the lifespan.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import math
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import ispws, packages
from api.graphql import GraphQLApp, error_response
from api.logs import configure_logging, request_id_var
from api.metrics import Metrics
from api.settings import (
    Settings,
    SettingsError,
    content_store,
    identifier_ids,
    load_settings,
)
from authz.basic import EspCredentials
from authz.ratelimit import RateLimiter
from authz.revocations import RevocationList
from authz.tokens import Keys as TokenKeys
from authz.tokens import TokenVerifier, check_production_keys, load_keys
from graph.audit.writer import AuditWriter
from graph.core import tracing
from graph.core.db import Database, open_driver, start_counting
from graph.core.ids import IdAllocator
from graph.core.migrations import Migrator
from graph.events.log import EventHub
from graph.identifiers.keyed_ids import IdentifierIds
from graph.matching.near import References
from graph.ops.pause import WritePause
from graph.referrals.packages.signing import Signer, SigningKeyError
from graph.reports.blobs import ContentStore
from graph.reports.intake.service import IntakeService
from graph.reports.reporters import RegisteredReporters
from graph.triage.enrichment import EnrichmentWorker
from graph.triage.geo import geo_provider
from resolvers.services import Services

log = logging.getLogger("tipgraph.http")
REQUEST_ID_HEADER = "Request-ID"
UPLOAD_PATH = ispws.PREFIX + "/upload"
STATIC = Path(__file__).resolve().parent / "static"
# The workspace (web/, built into the package by `npm run build:web`): its page, style and
# bundle, the one script it runs
WORKSPACE_FILES: Final = {
    name: (STATIC / "workspace" / name, media)
    for name, media in (("index.html", "text/html"), ("workspace.css", "text/css"),
                        ("workspace.js", "text/javascript"))}
WORKSPACE_CSP: Final = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                        "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; "
                        "base-uri 'none'; form-action 'self'")
# GraphiQL and React, vendored the same way; the page's own script beside them
GRAPHIQL_FILES: Final = {
    name: (STATIC / "vendor" / "graphiql" / name, media)
    for name, media in (("react.production.min.js", "text/javascript"),
                        ("react-dom.production.min.js", "text/javascript"),
                        ("graphiql.min.js", "text/javascript"),
                        ("graphiql.min.css", "text/css"))} | {
    "start.js": (STATIC / "graphiql-start.js", "text/javascript")}
ROUTES = frozenset({"/graphql", "/healthz", "/readyz", "/metrics", "/explore", "/workspace",
                    *(ispws.PREFIX + "/" + name for name in (
                        "status", "xsd", "submit", "upload", "fileinfo", "finish", "retract"))})


@dataclass
class AppState:
    settings: Settings  # the API's own; the layers below got their parts (Services.reads)
    services: Services
    metrics: Metrics
    migrator: Migrator
    worker: EnrichmentWorker
    pause: WritePause  # a backup's write pause, as this process last read it


class _BodyTooLarge(Exception):
    pass


class EdgeMiddleware:
    """Request ids, the body size limit, per-request round-trip counting, metrics and logs."""

    def __init__(self, app: ASGIApp, settings: Settings, metrics: Metrics) -> None:
        self.app = app
        self.max_body = settings.max_body_bytes
        # An upload's multipart framing (boundaries, headers, the id field) rides on top.
        self.max_upload = settings.max_upload_bytes + 64 * 1024
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if 0 < len(incoming) <= 128 and incoming.isprintable() else (
            uuid.uuid4().hex)
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)
        counter = start_counting()
        route = scope["path"] if scope["path"] in ROUTES else "other"
        started = time.perf_counter()
        status = 500
        received = 0
        declared = dict(scope["headers"]).get(b"content-length")
        path_limit = self.max_upload if scope["path"] == UPLOAD_PATH else self.max_body

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > path_limit:
                    raise _BodyTooLarge
            return message

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.lower().encode(), request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            if declared is not None and declared.isdigit() and int(declared) > path_limit:
                raise _BodyTooLarge
            await self.app(scope, limited_receive, send_with_id)
        except _BodyTooLarge:
            if scope["path"].startswith(ispws.PREFIX + "/"):
                response = ispws.too_large(path_limit)
            else:
                response = error_response(f"the request body is larger than {path_limit} bytes",
                                          "BAD_USER_INPUT", 413)
            await response(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            self.metrics.requests.labels(route, scope["method"], str(status)).inc()
            self.metrics.latency.labels(route).observe(elapsed)
            self.metrics.round_trips.labels(route).inc(counter.count)
            log.info("%s %s %s", scope["method"], scope["path"], status, extra={
                "route": route, "method": scope["method"], "status": status,
                "duration_ms": round(elapsed * 1000, 2), "round_trips": counter.count})
            request_id_var.reset(token)


async def sweep_forever(intake: IntakeService, every_seconds: float, *,
                        orphan_grace_seconds: float, metrics: Metrics) -> None:
    """Expire unfinished reports past their deadline (their uploads go with them); then delete
    what crashes left in the content store once older than the grace period (a partial
    upload in ``incoming/``, a blob stored but whose File never committed), counted in
    ``tipgraph_orphans_swept_total``. The content store is walked at most every quarter of
    the grace period: nothing becomes sweepable faster, and the walk reads every blob's
    metadata."""
    walked = -math.inf
    while True:
        await asyncio.sleep(every_seconds)
        try:
            expired = await intake.sweep()
            if expired:
                log.info("expired %d unfinished reports", expired)
            if (intake.content is not None
                    and time.monotonic() - walked >= orphan_grace_seconds / 4):
                walked = time.monotonic()
                swept = await intake.content.sweep_orphans(intake.db,
                                                           older_than=orphan_grace_seconds)
                metrics.orphans.labels("blob").inc(swept["orphanBlobs"])
                metrics.orphans.labels("partial_upload").inc(swept["partialUploads"])
                if any(swept.values()):
                    log.info("swept what crashes left: %d blobs without a File, %d partial "
                             "uploads", swept["orphanBlobs"], swept["partialUploads"])
        except Exception:
            log.exception("the sweep failed; it runs again shortly")


@dataclass(frozen=True)
class Keys:
    """Every key the process needs, loaded (and checked for production) before anything runs."""

    tokens: TokenKeys
    identifier_ids: IdentifierIds
    signer: Signer
    content: ContentStore


def load_process_keys(settings: Settings) -> Keys:
    """The keys from settings; production refuses to start on a development key."""
    tokens = load_keys(settings.tokens)
    check_production_keys(settings.tokens, tokens)
    if settings.production and not (settings.content_key or settings.content_keys):
        raise SettingsError("production mode needs TIPGRAPH_CONTENT_KEY or TIPGRAPH_CONTENT_KEYS "
                            "(uploads are encrypted at rest; the development key is for "
                            "development only)")
    if settings.production and not settings.identifier_key:
        raise SettingsError("production mode needs TIPGRAPH_IDENTIFIER_KEY (identifier ids are "
                            "keyed so that they reveal no value)")
    try:
        signer = Signer.load(key_file=settings.package_key_file, state_dir=settings.state_dir,
                             production=settings.production,
                             retired_file=settings.package_retired_keys_file)
    except SigningKeyError as error:
        raise SettingsError(str(error)) from None
    return Keys(tokens=tokens, identifier_ids=identifier_ids(settings), signer=signer,
                content=content_store(settings))


def build_state(db: Database, settings: Settings, keys: Keys, metrics: Metrics) -> AppState:
    """The services of one process, wired together (the lifespan starts their tasks)."""
    worker = EnrichmentWorker(db, geo_provider(settings.geoip_db),
                              settings.reads.common_identifier_reports,
                              references=References(settings.state_dir / "pdq"))
    events = EventHub(db, poll_seconds=settings.event_poll_seconds,
                      idle_numbering_seconds=settings.event_numbering_seconds)
    metrics.subscriptions.set_function(lambda: events.subscribers)
    worker.on_enriched = events.poke

    def finished() -> None:
        worker.wake.set()
        events.poke()

    pause = WritePause()
    db.before_write = pause.check  # refused while a backup holds the graph still
    intake = IntakeService(db, IdAllocator(db, "report"), IdAllocator(db, "file"),
                           settings.intake, identifier_ids=keys.identifier_ids,
                           on_finished=finished, content=keys.content)
    return AppState(
        settings=settings,
        services=Services(
            reads=settings.reads, db=db, intake=intake, reporters=RegisteredReporters(db),
            verifier=TokenVerifier(keys.tokens, settings.tokens,
                                   RevocationList(db, settings.tokens.revocation_ttl_seconds)),
            limiter=RateLimiter({"mutation": (settings.mutations_per_minute, 60.0),
                                 "expensive": (settings.expensive_per_minute, 60.0)}),
            credentials=EspCredentials(db),
            events=events,
            audit=AuditWriter(db),
            signer=keys.signer,
        ),
        metrics=metrics,
        migrator=Migrator(db, settings.migrations_dir, keys.identifier_ids),
        worker=worker,
        pause=pause,
    )


def background_tasks(state: AppState) -> list[asyncio.Task[None]]:
    """The event log's numbering and fan-out, the enrichment worker, the expiry and orphan
    sweep."""
    settings, services = state.settings, state.services
    tasks = [asyncio.create_task(services.events.run_forever()),
             asyncio.create_task(state.pause.watch(services.db))]
    if settings.enrichment_worker:
        tasks.append(asyncio.create_task(state.worker.run_forever()))
    if settings.sweep_seconds > 0:
        tasks.append(asyncio.create_task(sweep_forever(
            services.intake, settings.sweep_seconds,
            orphan_grace_seconds=settings.orphan_grace_seconds, metrics=state.metrics)))
    return tasks


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    state: AppState = request.app.state.tipgraph
    reachable = await state.services.db.ping(
        state.settings.neo4j_connect_timeout_seconds + 2)
    current = reachable and await state.migrator.is_current()
    ready = reachable and current
    return JSONResponse(
        # a backup's write pause leaves the API ready: reads go on, writes answer 503
        {"ready": ready, "neo4j": reachable, "migrations": current,
         "writesPaused": state.pause.active},
        status_code=200 if ready else 503,
        headers=None if ready else {"Retry-After": "5"},
    )


async def explore(request: Request) -> Response:
    """The explorer is the workspace's graph view now."""
    return RedirectResponse("/workspace#/graph", status_code=308)


async def workspace(request: Request) -> Response:
    """The workspace's files, from the package, under a CSP that lets them reach this host only."""
    name = request.path_params.get("name", "index.html")
    if name == "config.json":
        found_oidc = request.app.state.tipgraph.settings.oidc
        oidc = None if found_oidc is None else {
            "authorizationUrl": found_oidc.authorization_url,
            "clientId": found_oidc.client_id, "scope": found_oidc.scope}
        return JSONResponse({"oidc": oidc}, headers={"Cache-Control": "no-store"})
    found = WORKSPACE_FILES.get(name)
    if found is None or not found[0].exists():
        return error_response("no such file", "NOT_FOUND", 404)
    return Response(found[0].read_bytes(), media_type=found[1], headers={
        "Content-Security-Policy": WORKSPACE_CSP, "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"})


async def graphiql_asset(request: Request) -> Response:
    """GraphiQL's files, from the package (development only, as GraphiQL is)."""
    found = GRAPHIQL_FILES.get(request.path_params["name"])
    if found is None or not found[0].exists():
        return error_response("no such file", "NOT_FOUND", 404)
    return Response(found[0].read_bytes(), media_type=found[1],
                    headers={"Cache-Control": "public, max-age=86400"})


def metrics_endpoint(settings: Settings, metrics: Metrics) -> Callable[
        [Request], Awaitable[Response]]:
    async def serve_metrics(request: Request) -> Response:
        """Prometheus metrics; in production only with ``TIPGRAPH_METRICS_TOKEN`` as a bearer
        token (without the setting, production serves no metrics)."""
        if settings.production:
            given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
            if not settings.metrics_token or not hmac.compare_digest(
                    given.encode(), settings.metrics_token.encode()):
                return error_response("metrics need the metrics token", "UNAUTHENTICATED",
                                      401, {"WWW-Authenticate": "Bearer"})
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return serve_metrics


def create_app(settings: Settings | None = None, *, audit: bool = True) -> Starlette:
    """Build the ASGI app; the Neo4j driver opens in the lifespan and closes with it.

    ``audit=False`` is for the benchmark that measures the audit trail's cost only.
    """
    settings = settings or load_settings()
    configure_logging(production=settings.production)
    tracing.configure()  # OTLP export when the OTEL_* variables ask for it
    keys = load_process_keys(settings)
    metrics = Metrics()
    graphql = GraphQLApp(settings, on_error_code=lambda code: metrics.errors.labels(code).inc(),
                         audit=audit, on_path=metrics.operation)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        db = Database(open_driver(settings.neo4j_uri, settings.neo4j_user,
                                  settings.neo4j_password,
                                  retry_seconds=settings.neo4j_retry_seconds,
                                  connect_seconds=settings.neo4j_connect_timeout_seconds),
                      settings.neo4j_database, timeout=settings.query_timeout_seconds or None,
                      answer_within=settings.neo4j_read_timeout_seconds)
        app.state.tipgraph = state = build_state(db, settings, keys, metrics)
        tasks = background_tasks(state)
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await db.close()

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),  # subscriptions: graphql-transport-ws
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint(settings, metrics)),
            Route("/explore", explore, methods=["GET"]),
            Route("/workspace", workspace, methods=["GET"]),
            Route("/workspace/{name}", workspace, methods=["GET"]),
            *([] if settings.production else [
                Route("/graphiql/{name}", graphiql_asset, methods=["GET"])]),
            *ispws.routes(),
            *packages.routes(),
        ],
        lifespan=lifespan,
    )
    app.add_middleware(EdgeMiddleware, settings=settings, metrics=metrics)
    return app
