"""What the resolvers need to know: page sizes, thresholds and budgets of the read paths.

``api.settings`` reads the ``TIPGRAPH_*`` environment variables and builds this; nothing in
``resolvers`` reads the environment or imports ``api``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ReadSettings:
    default_page_size: int = 20
    max_page_size: int = 100
    default_phone_region: str = "US"  # phone numbers written without a country code
    common_identifier_reports: int = 50  # more reports than this make an identifier common
    statistics_threshold: int = 10  # smaller published cells are suppressed
    statistics_noise: int = 3  # D: each fine cell's noise (graph.statistics.cells)
    links_budget_seconds: float = 10
    package_link_seconds: int = 300  # lifetime of a referral package's download link
    subscription_recheck_seconds: float = 60  # live subscriptions re-check their token


@dataclass(frozen=True, slots=True)
class EdgeLimits:
    """Every limit in one place, with its documented default (configurable by settings)."""

    max_depth: int = 10
    max_aliases: int = 15
    max_tokens: int = 2_000
    max_directives: int = 5
    max_cost: int = 50_000  # a 50-report triage page with files, hashes, labels costs ~25k
    default_list_size: int = 10
    max_batch: int = 5
    max_expanded_fields: int = 5_000  # a 50-report triage page selects about a hundred
    max_repeated_fields: int = 25  # one response name in one selection set, fragments merged
