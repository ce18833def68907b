"""Driver helpers: one async driver per process, reads and writes through managed transactions.

Transaction functions are named ``*_tx``, consume their results through :func:`run`, and are
idempotent because the driver may retry them. :func:`run` also counts Cypher round trips per
request, which ``/metrics`` and the benchmarks report, and bounds how many sessions one request
holds at once (:data:`REQUEST_SESSIONS`): a document whose fields fan out waits for its own
sessions instead of taking the whole connection pool from every other request.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Concatenate, Final, LiteralString, ParamSpec, TypeVar

import neo4j
from neo4j import AsyncDriver, AsyncGraphDatabase, AsyncManagedTransaction, Record
from neo4j import exceptions as neo4j_errors

from graph.core.errors import ServiceUnavailable, TooExpensive
from graph.core.tracing import statement_span
from graph.core.visibility import RowScope

P = ParamSpec("P")
T = TypeVar("T")

# Sessions one request may hold at once, of the driver's pool of 100: sibling fields run
# concurrently, and a fan-out beyond this waits its turn.
REQUEST_SESSIONS: Final = 16

TxFunction = Callable[Concatenate[AsyncManagedTransaction, P], Awaitable[T]]

# Errors that mean "the database is not there right now", as opposed to "the query is wrong"
# (a pool with no free connection within its acquisition timeout included: retry later).
UNAVAILABLE_ERRORS: Final = (
    neo4j_errors.ServiceUnavailable,
    neo4j_errors.ConnectionAcquisitionTimeoutError,
    neo4j_errors.SessionExpired,
    neo4j_errors.TransientError,
    ConnectionError,
    OSError,
)


@dataclass
class RoundTrips:
    """Cypher statements sent for one request; kept in a context variable."""

    count: int = 0
    queries: list[str] = field(default_factory=list)
    statements: list[tuple[str, dict[str, Any]]] | None = None  # benches: what was sent
    sessions: asyncio.Semaphore = field(
        default_factory=lambda: asyncio.Semaphore(REQUEST_SESSIONS))


_round_trips: contextvars.ContextVar[RoundTrips | None] = contextvars.ContextVar(
    "tipgraph_round_trips", default=None
)


def start_counting() -> RoundTrips:
    counter = RoundTrips()
    _round_trips.set(counter)
    return counter


def cypher_parameters(params: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters as the driver takes them: a :class:`RowScope` becomes the map the rule reads."""
    return {key: value.cypher() if isinstance(value, RowScope) else value
            for key, value in params.items()}


async def run(tx: AsyncManagedTransaction, query: LiteralString, **params: Any) -> list[Record]:
    """Run one statement inside ``tx`` and return all its records (the result is consumed)."""
    counter = _round_trips.get()
    if counter is not None:
        counter.count += 1
        if counter.statements is not None:
            counter.statements.append((query, params))
    with statement_span(query):  # named, never its parameters (graph.core.tracing)
        result = await tx.run(query, cypher_parameters(params))
        return [record async for record in result]


def native_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """A node's or map's properties with Neo4j temporal values as Python ones."""
    return {k: (v.to_native() if hasattr(v, "to_native") else v) for k, v in values.items()}


def open_driver(uri: str, user: str, password: str, *, retry_seconds: float = 5.0,
                connect_seconds: float = 3.0) -> AsyncDriver:
    """The driver: ``connect_seconds`` to open a connection (TCP and Bolt handshake), retries of
    a transaction that failed for a transient reason within ``retry_seconds``."""
    return AsyncGraphDatabase.driver(
        uri,
        auth=(user, password),
        connection_timeout=connect_seconds,
        connection_acquisition_timeout=connect_seconds + 2.0,
        max_transaction_retry_time=retry_seconds,
        liveness_check_timeout=30.0,
        # Server notifications (unknown property keys on an empty graph, ...) are noise at
        # run time; the tests exercise every query against the real schema instead.
        notifications_min_severity="OFF",
    )


TIMED_OUT: Final = "Neo.ClientError.Transaction.TransactionTimedOut"


def _bounded(work: TxFunction[P, T], seconds: float | None) -> TxFunction[P, T]:
    """``work`` under a Neo4j transaction timeout of ``seconds``."""
    if seconds is None:
        return work

    @neo4j.unit_of_work(timeout=seconds)
    async def bounded(tx: AsyncManagedTransaction, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return await work(tx, *args, **kwargs)

    return bounded


class Database:
    """The process's driver and database name, with read and write helpers.

    Neo4j outages surface as :class:`graph.core.errors.ServiceUnavailable`, never as driver errors.
    """

    def __init__(self, driver: AsyncDriver, database: str, *, timeout: float | None = None,
                 answer_within: float | None = None) -> None:
        self.driver = driver
        self.database = database
        # Every transaction's budget in seconds (TIPGRAPH_QUERY_TIMEOUT_SECONDS): Neo4j stops
        # a statement past it, so no request holds the database for long.
        self.timeout = timeout
        # How long this process waits for a transaction's answer, retries included
        # (TIPGRAPH_NEO4J_READ_TIMEOUT_SECONDS): a stalled database (a paused JVM, a network
        # that drops packets) answers nothing, and a transaction timeout on its side cannot
        # fire; past this the transaction is abandoned, its connection closed, and the
        # request gets ServiceUnavailable. None waits as long as the database takes.
        self.answer_within = answer_within
        # Called before every write: raises to refuse it (the API's backup pause,
        # graph.ops.pause). Reads are never paused.
        self.before_write: Callable[[], None] | None = None

    async def read(
        self, work: TxFunction[P, T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        return await self._run(True, _bounded(work, self.timeout), *args, **kwargs)

    async def read_within(
        self, seconds: float, work: TxFunction[P, T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """A read under a budget of its own (never above the database's); ``TooExpensive``
        when Neo4j stops it there."""
        budget = min(seconds, self.timeout) if self.timeout else seconds
        if budget <= 0:
            raise TooExpensive("the query's time budget was spent before it could run; ask "
                               "for less (a smaller page, fewer hops or a narrower window)")
        return await self._run(True, _bounded(work, budget), *args, **kwargs)

    async def write(
        self, work: TxFunction[P, T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        if self.before_write is not None:
            self.before_write()
        return await self._run(False, _bounded(work, self.timeout), *args, **kwargs)

    async def _run(self, read: bool, work: TxFunction[P, T], *args: P.args,
                   **kwargs: P.kwargs) -> T:
        counter = _round_trips.get()
        mode = neo4j.READ_ACCESS if read else neo4j.WRITE_ACCESS
        try:
            async with (asyncio.timeout(self.answer_within),
                        counter.sessions if counter else contextlib.nullcontext(),
                        self.driver.session(database=self.database,
                                            default_access_mode=mode) as session):
                if read:
                    return await session.execute_read(work, *args, **kwargs)
                return await session.execute_write(work, *args, **kwargs)
        except TimeoutError as error:  # ours (answer_within), or a socket's
            waited = (f" within {self.answer_within:g} s" if self.answer_within is not None
                      else "")
            raise ServiceUnavailable(f"the graph database did not answer{waited}") from error
        except UNAVAILABLE_ERRORS as error:
            raise ServiceUnavailable("the graph database is unavailable") from error
        except neo4j_errors.ClientError as error:
            if (error.code or "").startswith(TIMED_OUT):
                raise TooExpensive("the query ran past its time budget and was stopped; ask "
                                   "for less (a smaller page, fewer hops or a narrower "
                                   "window)") from None
            raise

    async def ping(self, within: float = 5.0) -> bool:
        """Whether the database answers within ``within`` seconds (a stalled one does not)."""
        try:
            async with asyncio.timeout(within):
                await self.driver.verify_connectivity()
        except Exception:
            return False
        return True

    async def close(self) -> None:
        await self.driver.close()
