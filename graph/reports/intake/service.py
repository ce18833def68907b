"""The intake service: the one place reports are opened, filled, finished and cancelled.

Both ESP doors (GraphQL and the CyberTipline XML protocol) call it; the protocol differs, the
rules do not. Every change is one transaction: a refused change writes nothing.

Lifecycle (CyberTipline Reporting API): ``OPEN`` -> ``SUBMITTED`` (finished, immutable) or
``CANCELLED`` (retracted while open) or ``EXPIRED`` (not finished 24 h after opening or 1 h
after its last change, whichever is later). A finished report is preserved for one year.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, TypeVar

from neo4j import AsyncManagedTransaction

from graph.core.db import Database, run
from graph.core.errors import BadInput, Conflict, Forbidden, NotFound, ReportExpired
from graph.core.idempotency import Change, check_key, keyed_write
from graph.core.ids import IdAllocator
from graph.core.vocabulary import BatchReason, ReportStatus
from graph.events.log import emit, event
from graph.identifiers.keyed_ids import IdentifierIds
from graph.reports.blobs import ContentStore
from graph.reports.intake import writes as q
from graph.reports.intake.validation import (
    BATCH_RULE,
    FilePlan,
    Limits,
    ReportPlan,
    check_batched_file,
    plan_file,
    plan_report,
    to_json,
)
from graph.triage.queue import UNTRIAGED_RANK

OPEN_FOR: Final = timedelta(hours=24)
IDLE_FOR: Final = timedelta(hours=1)
T = TypeVar("T")

Node = dict[str, Any]  # a report's or file's properties, as the graph returns them


def expires_at(opened_at: datetime, modified_at: datetime) -> datetime:
    """24 h after opening or 1 h after the last change, whichever is later."""
    return max(opened_at + OPEN_FOR, modified_at + IDLE_FOR)


def one_year_after(moment: datetime) -> datetime:
    """The preservation deadline: the same instant a year later (29 February -> 28 February)."""
    try:
        return moment.replace(year=moment.year + 1)
    except ValueError:
        return moment.replace(year=moment.year + 1, day=28)


def _classification_basis(props: Mapping[str, Any]) -> str:
    def fact(value: object) -> str:
        return "unknown" if value is None else ("yes" if value else "no")

    return (
        "ESP industry classification; "
        f"file viewed by ESP: {fact(props.get('viewedByEsp'))}; "
        f"EXIF viewed by ESP: {fact(props.get('exifViewedByEsp'))}; "
        f"publicly available: {fact(props.get('publiclyAvailable'))}"
    )


@dataclass(frozen=True, slots=True)
class UploadedContent:
    """Bytes an ESP uploaded, as the server received them (see graph.reports.blobs)."""

    address: str  # SHA-256, the blob's address
    size: int
    md5: str
    sha1: str
    file_name: str | None = None
    pdq: str | None = None  # an image's perceptual hash (graph.matching.perceptual)

    def hashes(self) -> list[dict[str, str]]:
        return [{"algorithm": "MD5", "value": self.md5},
                {"algorithm": "SHA1", "value": self.sha1},
                {"algorithm": "SHA256", "value": self.address},
                *([{"algorithm": "PDQ", "value": self.pdq}] if self.pdq else [])]


def _file_params(plan: FilePlan, file_id: int, ids: IdentifierIds, *,
                 hash_source: str | None = None,
                 extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    label = plan.props.get("industryClassification")
    labels = [{"id": str(uuid.uuid4()), "label": label,
               "basis": _classification_basis(plan.props)}] if label else []
    return {
        "props": {**plan.props, **(extra or {}), "id": file_id},
        "hashes": [{"key": h.key, "id": ids.of(h.key), "kind": h.kind.value, "value": h.value,
                    "scope": h.scope, "source": hash_source} for h in plan.hashes],
        "labels": labels,
    }


def _mention_params(report: ReportPlan, files: Sequence[FilePlan], file_ids: Sequence[int],
                    ids: IdentifierIds) -> list[dict[str, Any]]:
    params = [m.as_param(ids) for m in report.mentions]
    for plan, file_id in zip(files, file_ids, strict=True):
        params.extend(m.as_param(ids, file_id) for m in plan.mentions)
    # One lock order for every transaction: MERGEs on shared identifiers cannot deadlock.
    return sorted(params, key=lambda p: p["key"])


def create_params(reporter_id: str, report: ReportPlan, files: Sequence[FilePlan],
                  report_id: int, file_ids: Sequence[int], now: datetime, *,
                  finish: bool, ids: IdentifierIds) -> dict[str, Any]:
    """The parameters of :data:`graph.reports.queries.CREATE_REPORT` for one planned report."""
    props: dict[str, Any] = {
        **report.props,
        "id": report_id,
        "reporterId": reporter_id,
        "status": ReportStatus.SUBMITTED.name if finish else ReportStatus.OPEN.name,
        "openedAt": now,
        "modifiedAt": now,
        "queuedAt": now,  # the queue's sort keys (graph/triage/queue.py)
        "priorityRank": UNTRIAGED_RANK,
        "version": 1,
    }
    if finish:
        props["finishedAt"] = now
        props["preserveUntil"] = one_year_after(now)
    else:
        props["expiresAt"] = expires_at(now, now)
    return {
        "reporterId": reporter_id,
        "props": props,
        "now": now,
        "mentions": _mention_params(report, files, file_ids, ids),
        "files": [_file_params(p, i, ids) for p, i in zip(files, file_ids, strict=True)],
    }


class IntakeService:
    def __init__(self, db: Database, report_ids: IdAllocator, file_ids: IdAllocator,
                 limits: Limits, *, identifier_ids: IdentifierIds,
                 on_finished: Callable[[], None] | None = None,
                 content: ContentStore | None = None) -> None:
        self.db = db
        self.identifier_ids = identifier_ids  # keyed public ids (graph.identifiers.keyed_ids)
        self.report_ids = report_ids
        self.file_ids = file_ids
        self.limits = limits
        self.on_finished = on_finished  # e.g. wakes the enrichment worker
        self.content = content  # where uploaded bytes live (the XML door's /upload)

    # -- open / submit -----------------------------------------------------------------------

    async def open_report(self, reporter_id: str, document: Mapping[str, Any],
                          idempotency_key: str | None = None) -> Node:
        """Open a report (status ``OPEN``); files come later through :meth:`add_file`."""
        return await self._create(reporter_id, document, (), idempotency_key, finish=False)

    async def submit_report(self, reporter_id: str, document: Mapping[str, Any],
                            idempotency_key: str | None = None) -> Node:
        """Open, add ``document['files']`` and finish, in one transaction."""
        files = list(document.get("files") or ())
        return await self._create(reporter_id, document, files, idempotency_key, finish=True)

    async def _create(self, reporter_id: str, document: Mapping[str, Any],
                      files: Sequence[Mapping[str, Any]], idempotency_key: str | None,
                      *, finish: bool) -> Node:
        now = datetime.now(UTC)
        check_key(idempotency_key)
        report = plan_report(document, self.limits, now)
        file_plans = [plan_file(f, self.limits, i, now) for i, f in enumerate(files)]
        if finish and report.batch_reason is BatchReason.VIRAL_POTENTIAL_MEME:
            self._check_batched_files([p.props for p in file_plans])
        # the request's hash, of the document once it is known to be valid
        change = Change.of(reporter_id, idempotency_key, "submit" if finish else "open",
                           to_json(dict(document)) or "")
        if change is not None:
            replay = await self.db.read(_idempotent_tx, change)
            if replay is not None:
                return replay
        report_id = await self.report_ids.next()
        file_ids = await self.file_ids.take(len(file_plans)) if file_plans else []
        params = create_params(reporter_id, report, file_plans, report_id, file_ids, now,
                               finish=finish, ids=self.identifier_ids)
        check_identifier_cap(len(params["mentions"]), self.limits.max_identifiers)
        if change is not None:
            params["props"]["idempotencyKey"] = change.key
            params["props"]["idempotencyHash"] = change.hash
        # the key is the report's own (unique): a concurrent request with the same key that
        # won the race answers as a replay
        created = await keyed_write(self.db, _create_keyed_tx, change, _idempotent_tx, params)
        if created is None:
            raise Forbidden(f"ESP {reporter_id!r} is not registered")
        if finish and self.on_finished is not None:
            self.on_finished()
        return created

    @staticmethod
    def _check_batched_files(files: Sequence[Mapping[str, Any]]) -> None:
        if len(files) > 1:
            raise BadInput(f"files may hold only one file in a {BATCH_RULE}, found "
                           f"{len(files)}", field="files")
        for index, props in enumerate(files):
            check_batched_file(props, index)

    # -- changes to an open report ---------------------------------------------------------

    async def add_file(self, reporter_id: str, report_id: int, file: Mapping[str, Any],
                       content: UploadedContent | None = None,
                       idempotency_key: str | None = None) -> Node:
        """Add one file to an open report; returns the new file.

        ``content``: bytes received by upload. Their hashes are the server's own (source
        ``TIPGRAPH``) and the file refers to the stored blob. Should the write fail, a blob
        nothing refers to is released. With ``idempotency_key``, a retry of the same request
        answers the file the first one added (see :class:`Change`).
        """
        now = datetime.now(UTC)
        if content is not None:
            file = {**file, "file_name": file.get("file_name") or content.file_name,
                    "hashes": [*(file.get("hashes") or ()), *content.hashes()]}
        try:
            change = report_change(reporter_id, idempotency_key, "ADD_FILE", report_id, file,
                                   content.address if content else None)
            plan = plan_file(file, self.limits, 0, now)
            file_id = await self.file_ids.next()
            extra = None if content is None else {
                "contentRef": content.address, "sizeBytes": content.size, "uploadedAt": now}
            params = {
                "id": report_id, "now": now, "reporterId": reporter_id,
                "mentions": _mention_params(ReportPlan(props={}, mentions=()), [plan],
                                            [file_id], self.identifier_ids),
                "files": [_file_params(plan, file_id, self.identifier_ids, extra=extra,
                                       hash_source=None if content is None else "TIPGRAPH")],
                "fileId": file_id, "maxIdentifiers": self.limits.max_identifiers,
            }
            return await self._file_change(_add_file_tx, change, reporter_id, report_id, now,
                                           params)
        except BaseException:
            # every failure path: a blob nothing refers to is not kept
            if content is not None:
                await self.release([content.address])
            raise

    def check_upload(self, file_name: str | None) -> None:
        """What an upload's own fields must be, checked before its bytes are kept."""
        plan_file({"file_name": file_name}, self.limits, 0, datetime.now(UTC))

    async def set_file_details(self, reporter_id: str, report_id: int, file_id: int,
                               file: Mapping[str, Any],
                               idempotency_key: str | None = None) -> Node:
        """The CyberTipline's /fileinfo: details for an uploaded file of an open report, once
        (a retry with the same ``idempotency_key`` answers the file as the first one left it)."""
        now = datetime.now(UTC)
        change = report_change(reporter_id, idempotency_key, "FILE_DETAILS", report_id,
                               file_id, file)
        plan = plan_file(file, self.limits, 0, now)
        params = {
            "id": report_id, "fileId": file_id, "now": now, "reporterId": reporter_id,
            "mentions": _mention_params(ReportPlan(props={}, mentions=()), [plan], [file_id],
                                        self.identifier_ids),
            "file": _file_params(plan, file_id, self.identifier_ids),
            "maxIdentifiers": self.limits.max_identifiers,
        }
        return await self._file_change(_file_details_tx, change, reporter_id, report_id, now,
                                       params)

    async def release(self, refs: Sequence[str]) -> None:
        """Delete uploaded blobs nothing refers to any more."""
        if self.content is not None and refs:
            await self.content.release(self.db, refs)

    async def finish_report(self, reporter_id: str, report_id: int,
                            idempotency_key: str | None = None) -> Node:
        """Finish an open report. Finishing it again is a CONFLICT, unless it is a retry with
        the ``idempotency_key`` that finished it: that answers the report."""
        change = report_change(reporter_id, idempotency_key, "FINISH", report_id)
        done = await self._change(_finish_tx, change, reporter_id, report_id, datetime.now(UTC))
        if isinstance(done, Replay):
            return done.report
        if self.on_finished is not None:
            self.on_finished()
        return done

    async def cancel_report(self, reporter_id: str, report_id: int,
                            idempotency_key: str | None = None) -> Node:
        change = report_change(reporter_id, idempotency_key, "CANCEL", report_id)
        done = await self._change(_cancel_tx, change, reporter_id, report_id, datetime.now(UTC))
        if isinstance(done, Replay):
            return done.report
        report, refs = done
        await self.release(refs)
        return report

    async def _change(self, work: Callable[..., Awaitable[T]], change: Change | None,
                      *args: Any) -> T | Replay:
        """``work``'s write, or the replay of the change its key already made (also when a
        concurrent request with the same key won the race to the constraint)."""
        return await keyed_write(self.db, _keyed(work), change, _replay_tx, *args)

    async def _file_change(self, work: Callable[..., Awaitable[Node]], change: Change | None,
                           *args: Any) -> Node:
        """A change to one file: the file as the change (or its first request) left it."""
        done = await self._change(work, change, *args)
        return done.file if isinstance(done, Replay) else done

    async def sweep(self, batch: int = 1000) -> int:
        """Mark open reports past their deadline ``EXPIRED`` (their uploads go); how many."""
        total = 0
        while True:
            done, refs = await self.db.write(_sweep_tx, datetime.now(UTC), batch)
            await self.release(refs)
            total += done
            if done < batch:
                return total


# -- idempotent changes --------------------------------------------------------------------------

def report_change(reporter_id: str, key: str | None, kind: str, *request: Any) -> Change | None:
    """A change to one of the ESP's reports made with ``key`` (scoped to the ESP)."""
    return Change.of(reporter_id, key, kind, to_json(list(request)) or "")


@dataclass(frozen=True, slots=True)
class Replay:
    """What a change made the first time: the report as it is now, and the file it touched."""

    report: Node
    file: Node


async def _replay_tx(tx: AsyncManagedTransaction, change: Change) -> Replay | None:
    records = await run(tx, q.CHANGE_BY_KEY, key=change.key)
    if not records:
        return None
    change.check(records[0]["hash"], records[0]["kind"])
    return Replay(records[0]["report"], records[0]["file"])


def _keyed(work: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T | Replay]]:
    """``work(tx, reporter_id, report_id, now, ...)``, after looking its key up (a replay
    answers at once) and recording the key with the change it makes."""
    async def keyed(tx: AsyncManagedTransaction, change: Change | None, reporter_id: str,
                    report_id: int, now: datetime, *rest: Any) -> T | Replay:
        if change is not None and (replay := await _replay_tx(tx, change)) is not None:
            return replay
        done = await work(tx, reporter_id, report_id, now, *rest)
        if change is not None:
            file_id = rest[0].get("fileId") if rest else None
            await run(tx, q.RECORD_CHANGE, id=report_id, key=change.key, hash=change.hash,
                      kind=change.kind, fileId=file_id, now=now)
        return done
    return keyed


# -- transaction functions -----------------------------------------------------------------------

async def _idempotent_tx(tx: AsyncManagedTransaction, change: Change) -> Node | None:
    records = await run(tx, q.REPORT_BY_IDEMPOTENCY_KEY, key=change.key)
    if not records:
        return None
    change.check(records[0]["hash"], change.kind)
    report: Node = records[0]["report"]
    return report


def submission_events(report: Mapping[str, Any], now: datetime) -> list[dict[str, Any]]:
    """What subscribers are told of a finished report: a new submission, and an escalation
    when the ESP asked for one (the bulk loader tells them the same)."""
    events = [event("SUBMITTED", report, at=now, source="ESP", by=report["reporterId"])]
    if report.get("escalated"):
        events.append(event("ESCALATED", report, at=now, source="ESP", by=report["reporterId"],
                            reason=report.get("escalation"), priority="P1"))
    return events


async def _submitted(tx: AsyncManagedTransaction, report: Node, now: datetime) -> None:
    await emit(tx, submission_events(report, now))


async def _create_tx(tx: AsyncManagedTransaction, params: dict[str, Any]) -> Node | None:
    records = await run(tx, q.CREATE_REPORT, **params)
    report: Node | None = records[0]["report"] if records else None
    if report is not None and report["status"] == "SUBMITTED":
        await _submitted(tx, report, report["finishedAt"])
    return report


async def _create_keyed_tx(tx: AsyncManagedTransaction, _change: Change | None,
                           params: dict[str, Any]) -> Node | None:
    """:func:`_create_tx`; the key is in ``params`` (the report's own, unique)."""
    return await _create_tx(tx, params)


async def _lock_open_report(tx: AsyncManagedTransaction, reporter_id: str, report_id: int,
                            now: datetime, action: str) -> dict[str, Any]:
    """The report's state, write-locked; raises unless it is open and not expired."""
    records = await run(tx, q.LOCK_OWN_REPORT, id=report_id, reporterId=reporter_id)
    if not records:
        raise NotFound(f"report {report_id} does not exist", details={"entity": "report"})
    state = dict(records[0])
    status = state["status"]
    if status == ReportStatus.SUBMITTED.name:
        raise Conflict(f"report {report_id} is already finished; it cannot be {action}",
                       details={"reason": "ALREADY_FINISHED"})
    if status == ReportStatus.CANCELLED.name:
        raise Conflict(f"report {report_id} was cancelled; it cannot be {action}",
                       details={"reason": "ALREADY_CANCELLED"})
    if status == ReportStatus.EXPIRED.name or (
            state["expiresAt"] is not None and state["expiresAt"].to_native() < now):
        raise ReportExpired(f"report {report_id} expired before it was finished")
    return state


def check_identifier_cap(count: int, limit: int) -> None:
    """A report links to at most ``limit`` identifiers (``TIPGRAPH_MAX_IDENTIFIERS_PER_REPORT``):
    past it, a BAD_USER_INPUT and nothing written."""
    if count > limit:
        raise BadInput(f"a report may name at most {limit} identifiers (with its files); this "
                       f"one would name {count}", details={"limit": limit})


async def _add_file_tx(tx: AsyncManagedTransaction, reporter_id: str, report_id: int,
                       now: datetime, params: dict[str, Any]) -> Node:
    state = await _lock_open_report(tx, reporter_id, report_id, now, "changed")
    check_identifier_cap(state["mentions"] + len(params["mentions"]), params["maxIdentifiers"])
    opened = state["openedAt"].to_native()
    records = await run(tx, q.ADD_FILES, **params, expiresAt=expires_at(opened, now))
    file: Node = records[0]["file"]
    return file


async def _file_details_tx(tx: AsyncManagedTransaction, reporter_id: str, report_id: int,
                           now: datetime, params: dict[str, Any]) -> Node:
    state = await _lock_open_report(tx, reporter_id, report_id, now, "changed")
    check_identifier_cap(state["mentions"] + len(params["mentions"]), params["maxIdentifiers"])
    found = await run(tx, q.FILE_OF_REPORT, id=report_id, fileId=params["fileId"])
    if not found:
        raise NotFound(f"file {params['fileId']} does not exist in report {report_id}",
                       field="fileId", details={"entity": "file"})
    if found[0]["detailed"]:
        raise Conflict(f"details for file {params['fileId']} were already submitted; they "
                       "may be submitted once per file", field="fileId",
                       details={"reason": "DETAILS_ALREADY_SUBMITTED"})
    if state["batchReason"] == BatchReason.VIRAL_POTENTIAL_MEME.name:
        # Appendix E.1 applies to file details submissions as they come, not only at /finish
        check_batched_file(params["file"]["props"], 0)
        if params["file"]["hashes"]:
            raise BadInput(f"files[0].hashes is not allowed in a {BATCH_RULE}",
                           field="files[0].hashes")
    opened = state["openedAt"].to_native()
    records = await run(tx, q.FILE_DETAILS, **params, expiresAt=expires_at(opened, now))
    file: Node = records[0]["file"]
    return file


async def _finish_tx(tx: AsyncManagedTransaction, reporter_id: str, report_id: int,
                     now: datetime) -> Node:
    state = await _lock_open_report(tx, reporter_id, report_id, now, "finished")
    if state["batchReason"] == BatchReason.VIRAL_POTENTIAL_MEME.name:
        IntakeService._check_batched_files(state["files"])
    records = await run(tx, q.FINISH_REPORT, id=report_id, now=now,
                        preserveUntil=one_year_after(now))
    report: Node = records[0]["report"]
    await _submitted(tx, report, now)
    return report


async def _cancel_tx(tx: AsyncManagedTransaction, reporter_id: str, report_id: int,
                     now: datetime) -> tuple[Node, list[str]]:
    await _lock_open_report(tx, reporter_id, report_id, now, "cancelled")
    records = await run(tx, q.CANCEL_REPORT, id=report_id, now=now)
    return records[0]["report"], list(records[0]["refs"])


async def _sweep_tx(tx: AsyncManagedTransaction, now: datetime,
                    batch: int) -> tuple[int, list[str]]:
    records = await run(tx, q.SWEEP_EXPIRED, now=now, batch=batch)
    expired: int = records[0]["expired"]
    return expired, [ref for refs in records[0]["refs"] for ref in refs]
