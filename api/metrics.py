"""Prometheus metrics: requests, latencies, Neo4j round trips and GraphQL errors by code."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


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
        self.errors = Counter("tipgraph_graphql_errors", "GraphQL errors by code", ["code"],
                              registry=self.registry)
        self.subscriptions = Gauge("tipgraph_live_subscriptions",
                                   "Subscriptions receiving live events in this process",
                                   registry=self.registry)
