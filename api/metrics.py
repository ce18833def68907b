"""Prometheus metrics: requests, latencies, Neo4j round trips and GraphQL errors by code."""

from __future__ import annotations

from typing import Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

MAX_OPERATION_NAMES: Final = 100


class Metrics:
    """One registry per app, so tests and several apps in one process do not collide."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("tipgraph_http_requests", "HTTP requests",
                                ["route", "method", "status"], registry=self.registry)
        self.latency = Histogram("tipgraph_http_request_seconds", "HTTP request latency",
                                 ["route"], registry=self.registry,
                                 buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
        self.round_trips = Counter("tipgraph_neo4j_round_trips", "Cypher statements sent",
                                   ["route"], registry=self.registry)
        self.operations = Counter(
            "tipgraph_graphql_operations", "GraphQL operations by the path that answered them "
            "(compiled, or the executor) and operation name", ["path", "operation"],
            registry=self.registry)
        self.errors = Counter("tipgraph_graphql_errors", "GraphQL errors by code", ["code"],
                              registry=self.registry)
        self.orphans = Counter(
            "tipgraph_orphans_swept", "What crashes left in the content store, deleted after "
            "the grace period: blobs no File refers to, partial uploads", ["kind"],
            registry=self.registry)
        for kind in ("blob", "partial_upload"):
            self.orphans.labels(kind)  # listed at zero before the first sweep
        self._operation_names: set[str] = set()
        self.subscriptions = Gauge("tipgraph_live_subscriptions",
                                   "Subscriptions receiving live events in this process",
                                   registry=self.registry)

    def operation(self, path: str, name: str | None) -> None:
        """Count one operation by the path that answered it. Names are the client's: the first
        100 are kept as labels, later ones count as "(other)"."""
        label = (name or "(anonymous)")[:64]
        if label not in self._operation_names:
            if len(self._operation_names) >= MAX_OPERATION_NAMES:
                label = "(other)"
            else:
                self._operation_names.add(label)
        self.operations.labels(path, label).inc()
