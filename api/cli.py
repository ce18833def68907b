"""The ``tipgraph`` command.

Examples::

    tipgraph neo4j start --port 7687
    tipgraph migrate
    tipgraph esp create --id example-esp --name "Example Chat"
    tipgraph token mint --role esp --esp-id example-esp
    tipgraph seed demo
    tipgraph serve --port 8000
    tipgraph hashlist import --name ncmec-hashes --version 2026-12 --source NCMEC \\
        --scheme INDUSTRY hashes.csv
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from api.settings import (
    DEFAULT_NEO4J_PORT,
    Settings,
    SettingsError,
    content_store,
    identifier_ids,
    load_settings,
)
from authz.roles import Role
from graph.core.db import Database, open_driver
from graph.core.errors import TipgraphError
from graph.core.migrations import MigrationError, Migrator
from graph.core.server import LocalNeo4j, Neo4jServerError
from graph.core.visibility import EVERY_REPORT
from graph.referrals.packages.signing import Signer, SigningKeyError

T = TypeVar("T")


def _database(settings: Settings) -> Database:
    return Database(open_driver(settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password),
                    settings.neo4j_database)


def _with_db(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    async def main() -> T:
        db = _database(settings)
        try:
            return await work(db)
        finally:
            await db.close()

    return asyncio.run(main())


def _local_port(settings: Settings) -> int:
    return urlsplit(settings.neo4j_uri).port or DEFAULT_NEO4J_PORT


def _took(step: str, started: float) -> None:
    """A step and its time on stderr (``make run`` shows them; stdout stays the result)."""
    print(f"  {step:<36} {time.perf_counter() - started:6.1f} s", file=sys.stderr, flush=True)


# -- commands ------------------------------------------------------------------------------------

def cmd_neo4j(args: argparse.Namespace, settings: Settings) -> int:
    server = LocalNeo4j(settings.state_dir, pagecache_mib=settings.neo4j_pagecache_mib)
    port = args.port or _local_port(settings)
    if args.action == "install":
        server.install()
        print(f"Neo4j jars in {server.lib}")
    elif args.action == "start":
        started = time.perf_counter()
        print(server.start(port, Path(args.data) if args.data else None))
        _took("neo4j", started)
    elif args.action == "stop":
        print("stopped" if server.stop(port) else "not running")
    else:
        status = server.status(port)
        print(json.dumps(status))
        return 0 if status["running"] else 3
    return 0


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    async def work(db: Database) -> list[str]:
        migrator = Migrator(db, settings.migrations_dir, identifier_ids(settings))
        return [m.name for m in await migrator.migrate()]

    started = time.perf_counter()
    applied = _with_db(settings, work)
    print(json.dumps({"applied": applied}))
    _took(f"migrate ({len(applied)} applied)", started)
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from api.app import create_app, load_process_keys

    if args.workers < 1:
        raise SettingsError("--workers takes 1 or more")
    if args.workers == 1:
        uvicorn.run(create_app(settings), host=args.host, port=args.port, log_config=None,
                    access_log=False)
        return 0
    # Several processes, each with its own driver and services, sharing the port. The keys are
    # checked (and development keys made) here, once, before any worker starts; each worker
    # reads the same TIPGRAPH_* environment.
    load_process_keys(settings)
    uvicorn.run("api.app:create_app", factory=True, workers=args.workers, host=args.host,
                port=args.port, log_config=None, access_log=False)
    return 0


def cmd_token(args: argparse.Namespace, settings: Settings) -> int:
    from authz.tokens import load_keys, mint_token

    role = Role(args.role)
    if role is Role.ESP and not args.esp_id:
        raise SettingsError("--role esp needs --esp-id")
    if role is Role.LE and not args.agency_id:
        raise SettingsError("--role le needs --agency-id")
    print(mint_token(load_keys(settings.tokens), settings.tokens, role=role, subject=args.subject,
                     esp_id=args.esp_id, agency_id=args.agency_id, scope=args.scope,
                     ttl=args.ttl))
    return 0


def cmd_token_revoke(args: argparse.Namespace, settings: Settings) -> int:
    from graph.core.revocations import revoke

    async def work(db: Database) -> None:
        await revoke(db, args.jti)

    _with_db(settings, work)
    print(json.dumps({"revoked": args.jti}))
    return 0


def cmd_agency(args: argparse.Namespace, settings: Settings) -> int:
    from graph.referrals.agencies import AgencyKind, AgencySpec, upsert_agency
    from graph.referrals.loaders import all_agencies

    spec = AgencySpec(id=args.id, name=args.name, kind=AgencyKind(args.kind),
                      jurisdictions=tuple(args.jurisdiction or ()), sees_all=args.sees_all)

    async def work(db: Database) -> dict[str, Any]:
        await upsert_agency(db, spec)
        return next(a for a in await all_agencies(db) if a["id"] == spec.id)

    print(json.dumps(_with_db(settings, work), sort_keys=True))
    return 0


def cmd_audit(args: argparse.Namespace, settings: Settings) -> int:
    from graph.audit.trail import verify

    result = _with_db(settings, verify)
    print(json.dumps(result))
    return 0 if result["ok"] else 4


def cmd_publish(args: argparse.Namespace, settings: Settings) -> int:
    """One table per dimension (and incident type by month), referral outcomes, labels by
    scheme, source and viewing, and matches by list, as CSV or JSON files; protected as the
    API protects them (graph.statistics.cells), so the files and the API agree."""
    import csv

    from graph.statistics import cells

    protection = cells.Protection.derived(identifier_ids(settings).key,
                                          settings.reads.statistics_noise,
                                          settings.reads.statistics_threshold)
    tables: list[tuple[str, list[str]]] = [(d.lower(), [d]) for d in cells.DIMENSIONS]
    tables.append(("incident_type_by_month", ["INCIDENT_TYPE", "MONTH"]))

    async def work(db: Database) -> list[tuple[str, cells.Table]]:
        made = [(name, await cells.statistics(db, args.year, dims, protection))
                for name, dims in tables]
        made.append(("referral_outcome", await cells.referral_outcomes(db, args.year,
                                                                       protection)))
        made.append(("labels_by_scheme_source_viewed", await cells.labels(
            db, args.year, cells.LABEL_DIMENSIONS, protection)))
        made.append(("matches_by_list", await cells.matches(db, args.year, protection)))
        return made

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in _with_db(settings, work):
        path = out / f"{args.year}-{name}.{args.format}"
        if args.format == "json":
            path.write_text(json.dumps({"year": args.year, "dimensions": table.dimensions,
                                        "total": table.published_total,
                                        "incidents": table.published_incidents,
                                        "threshold": table.threshold,
                                        "noise": table.noise,
                                        "cells": table.as_rows()}, indent=2))
        else:
            with path.open("w", newline="") as handle:
                writer = csv.DictWriter(handle, [*table.dimensions, "count", "suppressed"])
                writer.writeheader()
                writer.writerows(table.as_rows())
        written.append(str(path))
    print(json.dumps({"written": written}))
    return 0


def _backup_keys(settings: Settings) -> tuple[bytes, Signer]:
    from graph.ops.backup import load_backup_key

    if settings.production and not settings.backup_key:
        raise SettingsError("production mode needs TIPGRAPH_BACKUP_KEY (base64 of 32 bytes): "
                            "backups are encrypted with it")
    try:
        key = load_backup_key(settings.backup_key, settings.state_dir,
                              production=settings.production)
    except ValueError as error:
        raise SettingsError(str(error)) from None
    return (key, Signer.load(key_file=settings.package_key_file, state_dir=settings.state_dir,
                        production=settings.production))


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    """A consistent, encrypted, signed and verified backup of the graph and the content."""
    from graph.ops.backup import backup

    key, signer = _backup_keys(settings)
    store = content_store(settings)

    async def work(db: Database) -> dict[str, Any]:
        return await backup(db, store, Path(args.out), key=key, signer=signer,
                            by=args.by, pause_seconds=args.max_pause)

    print(json.dumps(_with_db(settings, work)))
    return 0


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    """A verified backup into an empty Neo4j and content folder, checked before it says ok."""
    from graph.core.migrations import Migrator
    from graph.ops.backup import restore

    key, signer = _backup_keys(settings)
    store = content_store(settings)

    async def work(db: Database) -> dict[str, Any]:
        async def migrate() -> None:
            await Migrator(db, settings.migrations_dir, identifier_ids(settings)).migrate()

        return await restore(db, store, Path(args.source), key=key, signer=signer,
                             migrate=migrate, force=args.force)

    print(json.dumps(_with_db(settings, work)))
    return 0


def cmd_content(args: argparse.Namespace, settings: Settings) -> int:
    """``content rekey``: every blob to the current content key, resumably, with progress."""
    store = content_store(settings)

    def progress(done: int, total: int) -> None:
        if done == total or done % 1000 == 0:
            print(f"rekey: {done}/{total} blobs", file=sys.stderr, flush=True)

    result = store.rekey(progress)
    for key in result["retirable"]:
        print(f"rekey: no blob needs content key {key} any more: it may be removed from "
              "TIPGRAPH_CONTENT_KEYS", file=sys.stderr)
    print(json.dumps(result))
    return 0


def cmd_retention(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import UTC, datetime

    from graph.reports.retention import run_retention

    store = content_store(settings)

    async def work(db: Database) -> tuple[dict[str, int], int]:
        from datetime import timedelta

        from graph.events.log import prune

        now = datetime.now(UTC)
        purged = await run_retention(db, now=now, release=lambda refs: store.release(db, refs))
        swept = await store.sweep_orphans(db, older_than=settings.orphan_grace_seconds)
        return {**purged, **swept}, await prune(
            db, now - timedelta(days=settings.event_retention_days))

    purged, events = _with_db(settings, work)
    print(json.dumps({"purged": purged, "eventsPruned": events}))
    return 0


def cmd_esp(args: argparse.Namespace, settings: Settings) -> int:
    """Register an ESP; the first time (or with --new-password) it gets CyberTipline-door
    credentials, printed this once: only an argon2 hash of the password is kept."""
    from authz.basic import has_credentials, issue_credentials
    from graph.reports.reporters import register_reporter

    async def work(db: Database) -> dict[str, Any]:
        reporter = await register_reporter(db, args.id, args.name)
        if args.new_password or not await has_credentials(db, args.id):
            username, password = await issue_credentials(db, args.id)
            reporter["username"], reporter["password"] = username, password
            reporter["note"] = ("the password is shown only now; store it in the ESP's secret "
                                "manager (tipgraph esp create --new-password issues another)")
        else:
            reporter["username"] = args.id
        return reporter

    print(json.dumps(_with_db(settings, work)))
    return 0


def cmd_seed(args: argparse.Namespace, settings: Settings) -> int:
    """The demo data once; each step and its time on stderr, the summary as JSON on stdout."""
    from graph.core.progress import Phases
    from graph.demo.seed import seed_demo

    async def work(db: Database) -> dict[str, Any]:
        return await seed_demo(db, settings.intake, identifier_ids(settings),
                               reports=args.reports, production=settings.production,
                               phases=None if args.quiet else Phases(sys.stderr))

    print(json.dumps(_with_db(settings, work)))
    return 0


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    """A report's neighbourhood as GraphML or JSON, for Gephi, yEd or i2; audited."""
    from graph.links.export import subgraph_view, to_graphml, to_json
    from graph.links.walks import Subgraph, Walk, neighborhood

    async def work(db: Database) -> Subgraph:
        walk = Walk(rows=EVERY_REPORT,
                    threshold=settings.reads.common_identifier_reports,
                    include_common=args.include_common)
        graph = await neighborhood(db, str(args.report), walk, depth=args.depth,
                                   first=args.first)
        await _operator_event(db, "tipgraph export", operation_type="export",
                              report_ids=tuple(graph.report_ids()))
        return graph

    view = subgraph_view(_with_db(settings, work), pii=True)
    text = to_graphml(view) if args.format == "graphml" else to_json(view) + "\n"
    if args.out:
        Path(args.out).write_text(text)
        print(json.dumps({"nodes": len(view["nodes"]), "edges": len(view["edges"]),
                          "truncated": view["truncated"], "out": args.out}))
    else:
        sys.stdout.write(text)
    return 0


def cmd_package(args: argparse.Namespace, settings: Settings) -> int:
    """``package --report ID --agency ID --out DIR`` writes a signed package (four files);
    ``package verify FILE`` checks one form against its .sig file and names what changed."""
    if args.words:
        if args.words[0] != "verify" or len(args.words) != 2:
            print("usage: tipgraph package verify FILE [--signature SIG] [--public-key PEM]",
                  file=sys.stderr)
            return 2
        return _verify_package(Path(args.words[1]), args, settings)
    if args.report is None or args.agency is None or args.out is None:
        print("usage: tipgraph package --report ID --agency ID --out DIR [--scope SCOPES]",
              file=sys.stderr)
        return 2
    import getpass
    import uuid

    from authz.roles import ROLE_SCOPES
    from graph.audit.trail import append_event
    from graph.referrals.packages.service import Package, make_package
    from graph.referrals.packages.signing import Signer

    signer = Signer.load(key_file=settings.package_key_file, state_dir=settings.state_dir,
                         production=settings.production)
    scopes = (frozenset(args.scope.split()) if args.scope is not None
              else frozenset(s.value for s in ROLE_SCOPES[Role.LE]))

    async def work(db: Database) -> Package:
        package = await make_package(db, signer, args.report, args.agency, scopes=scopes,
                                     common_threshold=settings.reads.common_identifier_reports)
        await append_event(db, package.audit_record(
            subject=f"cli:{getpass.getuser()}", role="operator", agency_id=None,
            operation="tipgraph package", operation_type="package",
            request_id=uuid.uuid4().hex))
        return package

    package = _with_db(settings, work)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in package.files().items():
        (out / name).write_bytes(data)
        written.append(str(out / name))
    print(json.dumps({"written": written, "jsonSha256": package.json.sha256,
                      "pdfSha256": package.pdf.sha256,
                      "keyId": package.json.envelope["keyId"]}))
    return 0


def _verify_package(file: Path, args: argparse.Namespace, settings: Settings) -> int:
    from graph.referrals.packages.signing import (
        DEV_KEY_NAME,
        Signer,
        load_public_key,
        load_retired_keys,
        verify,
    )

    signature = Path(args.signature) if args.signature else file.with_name(file.name + ".sig")
    try:
        data = file.read_bytes()
        envelope = json.loads(signature.read_bytes())
        if args.public_key:
            trusted = load_public_key(Path(args.public_key).read_bytes())
        elif settings.package_key_file or (settings.state_dir / DEV_KEY_NAME).exists():
            trusted = Signer.load(key_file=settings.package_key_file,
                                  state_dir=settings.state_dir,
                                  production=settings.production).public_key
        else:
            trusted = None
    except (OSError, ValueError) as error:
        print(json.dumps({"ok": False, "file": str(file), "problems": [str(error)]}))
        return 1
    if not isinstance(envelope, dict):
        envelope = {}
    try:
        retired = load_retired_keys(settings.package_retired_keys_file)
    except SigningKeyError as error:
        print(json.dumps({"ok": False, "file": str(file), "problems": [str(error)]}))
        return 1
    result = verify(data, envelope, name=file.name, trusted=trusted, retired=retired)
    print(json.dumps(result, indent=2))
    return 0 if result["ok"] else 1


def cmd_sweep(args: argparse.Namespace, settings: Settings) -> int:
    from graph.core.ids import IdAllocator
    from graph.reports.intake.service import IntakeService

    async def work(db: Database) -> int:
        intake = IntakeService(db, IdAllocator(db, "report"), IdAllocator(db, "file"),
                               settings.intake, identifier_ids=identifier_ids(settings),
                               content=content_store(settings))
        return await intake.sweep()

    print(json.dumps({"expired": _with_db(settings, work)}))
    return 0


def _operator_event(db: Database, operation: str, *, operation_type: str = "mutation",
                    detail: str | None = None,
                    report_ids: tuple[int, ...] = ()) -> Awaitable[int]:
    """An audit event for an operator's command (who ran it, the command line's hash)."""
    import getpass
    import hashlib
    import uuid

    from graph.audit.trail import AuditRecord, append_event

    command = " ".join(sys.argv[1:])
    return append_event(db, AuditRecord(
        subject=f"cli:{getpass.getuser()}", role="operator", operation=operation,
        operation_type=operation_type, query_hash=hashlib.sha256(command.encode()).hexdigest(),
        outcome="OK", request_id=uuid.uuid4().hex, detail=detail, report_ids=report_ids))


def cmd_hashlist(args: argparse.Namespace, settings: Settings) -> int:
    """``hashlist import|retire|list``: hash lists and the labels their matches suggest."""
    import getpass

    from graph.core.errors import BadInput
    from graph.matching import hashlists

    by = f"cli:{getpass.getuser()}"
    if args.action == "import":
        try:
            text = Path(args.file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise BadInput(f"cannot read {args.file}: {error}", field="file") from None
        version = hashlists.list_version(args.name, args.version, args.source, args.scheme,
                                         args.pdq_threshold)
        entries = hashlists.read_csv(text)

        async def imported(db: Database) -> dict[str, Any]:
            result = await hashlists.import_list(db, version, entries, by=by)
            await _operator_event(db, "tipgraph hashlist import",
                                  detail=f"{version.id}: {result['entries']} entries")
            return result

        print(json.dumps(_with_db(settings, imported), sort_keys=True))
    elif args.action == "retire":
        async def retired(db: Database) -> list[dict[str, Any]]:
            ids = await hashlists.retire(db, args.name, args.version, by=by)
            await _operator_event(db, "tipgraph hashlist retire", detail=", ".join(ids))
            return [{"id": v["id"], "labels": v["matches"]}
                    for v in await hashlists.versions(db, args.name) if v["id"] in ids]

        print(json.dumps(_with_db(settings, retired), sort_keys=True))
    else:
        print(json.dumps(_with_db(settings, lambda db: hashlists.versions(db, args.name)),
                         sort_keys=True, default=str))
    return 0


# -- parser --------------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tipgraph", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    neo4j = commands.add_parser("neo4j", help="the local Neo4j server (real Neo4j 5.26)")
    neo4j.add_argument("action", choices=["install", "start", "stop", "status"])
    neo4j.add_argument("--port", type=int, default=None,
                       help="Bolt port (default: the port of TIPGRAPH_NEO4J_URI, else 7687)")
    neo4j.add_argument("--data", default=None, help="data folder (default: .tipgraph/neo4j/data)")
    neo4j.set_defaults(handler=cmd_neo4j)

    migrate = commands.add_parser("migrate", help="apply migrations/V####__*.cypher in order")
    migrate.set_defaults(handler=cmd_migrate)

    serve = commands.add_parser("serve", help="serve the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1,
                       help="API processes sharing the port (default 1)")
    serve.set_defaults(handler=cmd_serve)

    token = commands.add_parser("token", help="tokens for local use")
    token_actions = token.add_subparsers(dest="action", required=True)
    mint = token_actions.add_parser("mint", help="print a signed token, and only the token")
    mint.add_argument("--role", required=True, choices=[r.value for r in Role])
    mint.add_argument("--esp-id", default=None)
    mint.add_argument("--agency-id", default=None)
    mint.add_argument("--scope", default=None, help='space-separated, e.g. "report:read pii:read"')
    mint.add_argument("--ttl", type=int, default=3600, help="seconds (default 3600)")
    mint.add_argument("--subject", default=None, help="the sub claim (default: derived)")
    mint.set_defaults(handler=cmd_token)
    revoke = token_actions.add_parser("revoke", help="refuse a token from now on, by its jti")
    revoke.add_argument("jti")
    revoke.set_defaults(handler=cmd_token_revoke)

    agency = commands.add_parser("agency", help="law-enforcement agencies")
    agency_actions = agency.add_subparsers(dest="action", required=True)
    agency_create = agency_actions.add_parser("create", help="create or update (idempotent)")
    agency_create.add_argument("--id", required=True)
    agency_create.add_argument("--name", required=True)
    agency_create.add_argument("--kind", required=True, choices=[
        "FEDERAL", "ICAC_TASK_FORCE", "STATE", "LOCAL", "INTERNATIONAL"])
    agency_create.add_argument("--jurisdiction", action="append",
                               help="a covered jurisdiction (US, US-CA, GB, ...); repeatable")
    agency_create.add_argument("--sees-all", action="store_true",
                               help="the agency sees every referred report")
    agency_create.set_defaults(handler=cmd_agency)

    publish = commands.add_parser("publish", help="write the public statistics tables")
    publish.add_argument("--year", type=int, required=True)
    publish.add_argument("--format", choices=["csv", "json"], default="csv")
    publish.add_argument("--out", required=True, help="folder for the tables")
    publish.set_defaults(handler=cmd_publish)

    backup = commands.add_parser(
        "backup", help="back the graph and the content store up, under a short write pause")
    backup.add_argument("--out", required=True, help="an empty folder for the backup")
    backup.add_argument("--by", default="operator", help="who takes it (recorded)")
    backup.add_argument("--max-pause", type=float, default=600,
                        help="seconds the write pause may last at most (it is lifted when the "
                             "backup ends, or expires by itself should the backup die)")
    backup.set_defaults(handler=cmd_backup)
    restore = commands.add_parser(
        "restore", help="restore a backup into an empty Neo4j and content folder")
    restore.add_argument("--from", dest="source", required=True, help="the backup's folder")
    restore.add_argument("--force", action="store_true",
                         help="replace what the target holds (refused without it)")
    restore.set_defaults(handler=cmd_restore)
    content = commands.add_parser("content", help="the content store")
    content.add_argument("action", choices=["rekey"],
                         help="rekey: re-encrypt every blob to the current content key "
                              "(resumable; says which old keys may then be retired)")
    content.set_defaults(handler=cmd_content)
    retention = commands.add_parser("retention", help="the preservation policy")
    retention_actions = retention.add_subparsers(dest="action", required=True)
    retention_run = retention_actions.add_parser(
        "run", help="purge file content past preserveUntil, except under legal hold")
    retention_run.set_defaults(handler=cmd_retention)

    audit = commands.add_parser("audit", help="the audit trail")
    audit_actions = audit.add_subparsers(dest="action", required=True)
    audit_verify = audit_actions.add_parser(
        "verify", help="check the hash chain; exit 4 and name the first broken link if it is")
    audit_verify.set_defaults(handler=cmd_audit)

    export = commands.add_parser(
        "export", help="a report's neighbourhood as GraphML or JSON (audited)")
    export.add_argument("--report", required=True, help="the report id")
    export.add_argument("--depth", type=int, default=2, help="1 to 3 (default 2)")
    export.add_argument("--format", choices=["graphml", "json"], default="graphml")
    export.add_argument("--first", type=int, default=500, help="node cap (default 500)")
    export.add_argument("--include-common", action="store_true",
                        help="expand common identifiers too")
    export.add_argument("--out", default=None, help="a file (default: standard output)")
    export.set_defaults(handler=cmd_export)

    esp = commands.add_parser("esp", help="electronic service providers")
    esp_actions = esp.add_subparsers(dest="action", required=True)
    create = esp_actions.add_parser("create", help="register an ESP (idempotent; prints JSON)")
    create.add_argument("--id", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--new-password", action="store_true",
                        help="issue new CyberTipline-door credentials (the old ones stop working)")
    create.set_defaults(handler=cmd_esp)

    seed = commands.add_parser("seed", help="load data")
    seed.add_argument("what", choices=["demo"])
    seed.add_argument("--reports", type=int, default=300)
    seed.add_argument("--quiet", action="store_true", help="no step-by-step output on stderr")
    seed.set_defaults(handler=cmd_seed)

    package = commands.add_parser(
        "package", help="a signed referral package (PDF + JSON), or `package verify FILE`")
    package.add_argument("words", nargs="*", metavar="verify FILE",
                         help="check FILE against FILE.sig and name what changed")
    package.add_argument("--report", type=int, help="the report id")
    package.add_argument("--agency", help="the agency the package is for")
    package.add_argument("--out", help="folder for the four files")
    package.add_argument("--scope", default=None,
                         help="the agency's scopes (space-separated; default: law "
                              "enforcement's, which include pii:read)")
    package.add_argument("--signature", help="verify: the .sig file (default: FILE.sig)")
    package.add_argument("--public-key", help="verify: the trusted key (PEM; default: the "
                                              "configured signing key's)")
    package.set_defaults(handler=cmd_package)

    sweep = commands.add_parser("sweep", help="mark open reports past their deadline EXPIRED")
    sweep.set_defaults(handler=cmd_sweep)

    hashlist = commands.add_parser(
        "hashlist", help="hash lists: known hashes and the labels their matches suggest")
    hashlist_actions = hashlist.add_subparsers(dest="action", required=True)
    hashlist_import = hashlist_actions.add_parser(
        "import", help="import a version of a list from a CSV of algorithm,value,label and "
        "match every file against it (audited; prints JSON)")
    hashlist_import.add_argument("--name", required=True)
    hashlist_import.add_argument("--version", required=True)
    hashlist_import.add_argument("--source", required=True,
                                 help="the organisation that classified the material")
    hashlist_import.add_argument("--scheme", required=True,
                                 help="the classification scheme of its labels")
    hashlist_import.add_argument("--pdq-threshold", type=int, default=31,
                                 help="PDQ entries match files within this Hamming distance "
                                      "(bits of 256; default 31, PDQ's published threshold)")
    hashlist_import.add_argument("file", help="the CSV file")
    hashlist_retire = hashlist_actions.add_parser(
        "retire", help="retire a version (or every live one): its matches stop counting as "
        "suggestions and stay in the files' history (audited)")
    hashlist_retire.add_argument("--name", required=True)
    hashlist_retire.add_argument("--version", help="one version (default: every live one)")
    hashlist_list = hashlist_actions.add_parser("list", help="the versions, as JSON")
    hashlist_list.add_argument("--name", help="one list")
    for action in (hashlist_import, hashlist_retire, hashlist_list):
        action.set_defaults(handler=cmd_hashlist)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        code: int = args.handler(args, settings)
        return code
    except (SettingsError, Neo4jServerError, MigrationError, TipgraphError,
            SigningKeyError) as error:
        print(f"tipgraph: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
