"""Every benchmark in one run, on one Neo4j: each prints its JSON line, and the last line is one
JSON object with every figure, every ratio, and where tipgraph stands against its targets.

``--quick`` (``make bench-quick``) is a small version that finishes in about four minutes;
the default (``make bench``) is full size: a graph of ``--reports`` reports (100,000 unless
told) from ``bench.generate``.

Targets (goals recorded, not tests):

- report detail: API p50 at most 1.5x the raw-driver floor;
- Cypher round trips per operation independent of page size;
- ingest through the API at least 0.5x the raw-driver throughput;
- throughput at least @neo4j/graphql's on the shared queries;
- API process RSS at most 300 MiB under load;
- a referral package for 50 files and 200 identifiers in at most 2 s through the API (p50);
- a referral's event at its agency's 100 subscribers within 2 s (p95).

    python -m bench.run --quick
    python -m bench.run --reports 1000000
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bench import audit, authz, events, ingest, ispws, packages, peer, reads
from bench.harness import arguments, emit, neo4j_server, use_server


@dataclass(frozen=True)
class Sizes:
    reports: int
    ingest_per_phase: int
    read_samples: int
    peer_samples: int
    peer_requests: int
    xml_reports: int
    upload_mib: int
    authz_reports: int
    authz_samples: int
    package_samples: int
    subscribers: int
    referrals: int
    audit_requests: int = 2_000


QUICK = Sizes(reports=3_000, ingest_per_phase=60, read_samples=15, peer_samples=15,
              peer_requests=40, xml_reports=10, upload_mib=50, authz_reports=200,
              authz_samples=25, package_samples=5, subscribers=100, referrals=10,
              audit_requests=400)


def full(reports: int) -> Sizes:
    return Sizes(reports=reports, ingest_per_phase=1_000, read_samples=100, peer_samples=100,
                 peer_requests=400, xml_reports=60, upload_mib=200, authz_reports=5_000,
                 authz_samples=300, package_samples=20, subscribers=100, referrals=30)


def targets(results: dict[str, Any]) -> dict[str, Any] | None:
    if set(results) != set(SCENARIOS):
        return None  # a partial run (--only): the targets need every scenario
    detail = results["reads"]["report_detail"]["ratio_p50"]
    by_size = results["reads"]["triage_round_trips_by_page_size"]
    detail_trips = results["reads"]["report_detail"]["round_trips_per_operation"]
    true_floor = results["peer"]["report_detail"]["ratio_p50_tipgraph_over_true_floor"]
    triage_trips = results["reads"]["triage_page"]["round_trips_per_operation"]
    le_trips = results["reads"]["le_report"]["round_trips_per_operation"]
    ingest_ratio = results["ingest"]["ratio_throughput_api_over_raw"]
    peer_ratios = {name: results["peer"][name]["ratio_throughput_tipgraph_over_peer"]
                   for name in ("report_detail", "triage_page")}
    le_ratios = {name: results["peer"]["law_enforcement"][name][
        "ratio_throughput_tipgraph_over_peer"] for name in ("report_detail", "triage_page")}
    rss = max(results["ingest"]["api_rss_mib"], results["reads"]["api_rss_mib"],
              results["ispws"]["api_rss_mib_after_load"],
              results["ispws"]["large_upload"]["rss_peak_mib"],
              results["peer"]["rss_mib"]["tipgraph"], results["packages"]["api_rss_mib"],
              results["events"]["many_subscribers"]["api_rss_mib"])
    package_ms = results["packages"]["api"]["p50_ms"]
    event_ms = results["events"]["many_subscribers"]["p95_ms"]
    return {
        "referral_package_50_files_200_identifiers_ms": {
            "value": package_ms, "goal": "<= 2000 (p50, through the API)",
            "met": package_ms <= 2000},
        "referral_to_event_p95_ms_100_subscribers": {
            "value": event_ms, "goal": "<= 2000", "met": event_ms <= 2000},
        "report_detail_p50_over_floor": {"value": detail, "goal": "<= 1.5 (the replay)",
                                         "met": detail <= 1.5},
        "report_detail_p50_over_true_floor": {
            "value": true_floor, "goal": "<= 1.2: the best single statement (issue 15)",
            "met": true_floor <= 1.2},
        "round_trips_per_compiled_read_with_audit": {
            "value": {"triage_page": triage_trips, "le_report": le_trips},
            "goal": ("<= 3 statements: one for the data, plus the shared audit append (one "
                     "transaction of two: take the chain's head, append) (issue 15)"),
            "met": max(le_trips, triage_trips) <= 3},
        "round_trips_report_detail_with_cross_references": {
            "value": detail_trips,
            "goal": ("none: crossReferences(first:) takes arguments, so this document goes "
                     "through the executor (one statement per loader level)"),
            "met": None},
        "round_trips_by_page_size": {"value": by_size, "goal": "independent of page size",
                                     "met": max(by_size.values()) - min(by_size.values()) < 1},
        "ingest_throughput_over_floor": {"value": ingest_ratio, "goal": ">= 0.5",
                                         "met": ingest_ratio >= 0.5},
        "throughput_over_neo4j_graphql": {"value": peer_ratios, "goal": ">= 1.5 (issue 15)",
                                          "met": min(peer_ratios.values()) >= 1.5},
        "law_enforcement_throughput_over_neo4j_graphql_authorization": {
            "value": le_ratios, "goal": ">= 2: against its @authorization filter (issue 15)",
            "met": min(le_ratios.values()) >= 2},
        "api_rss_mib": {"value": rss, "goal": "<= 300", "met": rss <= 300},
    }


def ratios(results: dict[str, Any], prefix: str = "") -> dict[str, float]:
    """Every ``ratio*`` figure, flattened to ``scenario.path.name``."""
    found: dict[str, float] = {}
    for key, value in results.items():
        name = f"{prefix}{key}"
        key = str(key)
        if isinstance(value, dict):
            found.update(ratios(value, name + "."))
        elif key.startswith("ratio") and isinstance(value, int | float):
            found[name] = value
    return found


SCENARIOS = ("reads", "peer", "ingest", "ispws", "authz_overhead", "audit_ceiling", "packages",
             "events")


async def run_all(sizes: Sizes, only: set[str]) -> dict[str, Any]:
    # reads first: it fills the graph (bench.generate) that the peer then reads too
    runs: dict[str, Callable[[], Awaitable[dict[str, Any]]]] = {
        "reads": lambda: reads.main(sizes.reports, sizes.read_samples, seed=17),
        "peer": lambda: peer.main(sizes.reports, sizes.peer_samples, sizes.peer_requests, 8),
        "ingest": lambda: ingest.main(sizes.ingest_per_phase, 8),
        "ispws": lambda: ispws.main(sizes.xml_reports, 8, sizes.upload_mib),
        "authz_overhead": lambda: authz.main(sizes.authz_reports, sizes.authz_samples),
        "audit_ceiling": lambda: audit.main(200, 32, sizes.audit_requests),
        "packages": lambda: packages.main(sizes.package_samples),
        "events": lambda: events.main(sizes.subscribers, sizes.referrals),
    }
    results: dict[str, Any] = {}
    for name in SCENARIOS:
        if name in only:
            result = await runs[name]()
            emit(result)
            results[name] = result
    return results


def main(sizes: Sizes, mode: str, only: set[str]) -> dict[str, Any]:
    started = time.perf_counter()
    with neo4j_server() as uri:
        use_server(uri)  # every scenario uses this one server
        results = asyncio.run(run_all(sizes, only))
    return {"scenario": "all", "mode": mode, "seconds": round(time.perf_counter() - started, 1),
            "sizes": sizes.__dict__, "targets": targets(results), "ratios": ratios(results),
            "figures": results}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, about 4 minutes")
    parser.add_argument("--reports", type=int, default=100_000, help="graph size (full run)")
    parser.add_argument("--only", default=",".join(SCENARIOS),
                        help=f"a comma-separated subset of {', '.join(SCENARIOS)}")
    args = arguments(parser)
    only = set(args.only.split(","))
    if not only <= set(SCENARIOS):
        parser.error(f"--only takes {', '.join(SCENARIOS)}")
    summary = main(QUICK if args.quick else full(args.reports), "quick" if args.quick else "full",
                   only)
    emit(summary)
