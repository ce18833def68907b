"""Settings, read once from ``TIPGRAPH_*`` environment variables, and composed per layer.

Each layer declares what it needs as its own small dataclass (``authz.settings.TokenSettings``,
``resolvers.settings.ReadSettings``, ``resolvers.limits.EdgeLimits``, the intake's
``Limits``); this module is the one place that reads the environment, and nothing below
``api`` imports it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from authz.settings import TokenSettings
from graph.core.errors import SettingsError
from graph.core.keyfiles import load_key
from graph.identifiers.keyed_ids import IdentifierIds
from graph.reports.blobs import ContentStore, load_content_keys
from graph.reports.intake.validation import Limits
from resolvers.settings import EdgeLimits, ReadSettings

__all__ = ["PROJECT_ROOT", "Environment", "Settings", "SettingsError", "identifier_ids",
           "load_settings"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_NEO4J_PORT = 7687
DEFAULT_EDGE = EdgeLimits()


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


@dataclass(frozen=True, slots=True)
class OidcSettings:
    """Where the workspace sends a reader to sign in (OpenID Connect, implicit flow)."""

    authorization_url: str
    client_id: str
    scope: str


@dataclass(frozen=True, slots=True)
class Settings:
    env: Environment
    state_dir: Path
    neo4j_uri: str
    neo4j_user: str
    neo4j_password: str
    neo4j_database: str
    neo4j_pagecache_mib: int
    max_body_bytes: int
    metrics_token: str | None
    orphan_grace_seconds: int
    query_timeout_seconds: float
    neo4j_connect_timeout_seconds: float  # opening a connection, TCP and Bolt handshake
    neo4j_retry_seconds: float  # the driver's retries of a transiently failed transaction
    neo4j_read_timeout_seconds: float | None  # waiting for a transaction's answer, retries in
    migrations_dir: Path
    tokens: TokenSettings  # authz: bearer tokens
    reads: ReadSettings  # resolvers: pages, thresholds, budgets
    intake: Limits  # graph: the intake's validation limits
    edge: EdgeLimits  # resolvers: what a request may ask before any work
    mutations_per_minute: int
    expensive_per_minute: int
    geoip_db: Path | None
    enrichment_worker: bool
    compiled_reads: bool  # queries over reports skip the field-by-field executor
    content_dir: Path
    content_key: str | None
    content_keys: str | None  # the current content key and old ones, comma-separated
    backup_key: str | None  # base64 of 32 bytes: backups are encrypted with it
    identifier_key: str | None
    max_upload_bytes: int
    sweep_seconds: int
    event_poll_seconds: float
    event_numbering_seconds: float
    max_subscriptions: int
    package_key_file: Path | None
    package_retired_keys_file: Path | None  # earlier package keys and their validity
    event_retention_days: int
    oidc: OidcSettings | None = None  # the workspace's sign-in through a provider, when set

    @property
    def production(self) -> bool:
        return self.env is Environment.PRODUCTION


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, not {raw!r}") from None


def _path(env: Mapping[str, str], name: str) -> Path | None:
    raw = env.get(name)
    return Path(raw) if raw else None


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read the settings from ``env`` (default: the process environment)."""
    env = os.environ if env is None else env
    try:
        environment = Environment(env.get("TIPGRAPH_ENV", "development"))
    except ValueError:
        raise SettingsError("TIPGRAPH_ENV must be 'development' or 'production'") from None
    algorithms = tuple(
        a.strip() for a in env.get("TIPGRAPH_JWT_ALGORITHMS", "RS256").split(",") if a.strip()
    )
    if not algorithms or any(a.lower() == "none" for a in algorithms):
        raise SettingsError("TIPGRAPH_JWT_ALGORITHMS must list real signing algorithms")
    state_dir = _path(env, "TIPGRAPH_STATE_DIR") or PROJECT_ROOT / ".tipgraph"
    if _int(env, "TIPGRAPH_STATISTICS_NOISE", 3) < 1:
        raise SettingsError("TIPGRAPH_STATISTICS_NOISE must be at least 1: without noise, "
                            "published tables can be combined to recover small counts")
    phone_region = env.get("TIPGRAPH_DEFAULT_PHONE_REGION", "US")
    query_timeout = _int(env, "TIPGRAPH_QUERY_TIMEOUT_SECONDS", 30)
    if _int(env, "TIPGRAPH_NEO4J_CONNECT_TIMEOUT_SECONDS", 3) < 1:
        raise SettingsError("TIPGRAPH_NEO4J_CONNECT_TIMEOUT_SECONDS must be at least 1")
    return Settings(
        env=environment,
        state_dir=state_dir,
        neo4j_uri=env.get("TIPGRAPH_NEO4J_URI") or f"bolt://localhost:{DEFAULT_NEO4J_PORT}",
        neo4j_user=env.get("TIPGRAPH_NEO4J_USER", "neo4j"),
        neo4j_password=env.get("TIPGRAPH_NEO4J_PASSWORD", "neo4j"),
        neo4j_database=env.get("TIPGRAPH_NEO4J_DATABASE", "neo4j"),
        neo4j_pagecache_mib=_int(env, "TIPGRAPH_NEO4J_PAGECACHE_MIB", 512),
        max_body_bytes=_int(env, "TIPGRAPH_MAX_BODY_BYTES", 2 * 1024 * 1024),
        metrics_token=env.get("TIPGRAPH_METRICS_TOKEN") or None,
        orphan_grace_seconds=_int(env, "TIPGRAPH_ORPHAN_GRACE_SECONDS", 3600),
        query_timeout_seconds=query_timeout,
        neo4j_connect_timeout_seconds=_int(env, "TIPGRAPH_NEO4J_CONNECT_TIMEOUT_SECONDS", 3),
        neo4j_retry_seconds=_int(env, "TIPGRAPH_NEO4J_RETRY_SECONDS", 5),
        neo4j_read_timeout_seconds=_int(env, "TIPGRAPH_NEO4J_READ_TIMEOUT_SECONDS",
                                        query_timeout + 5) or None,
        migrations_dir=_path(env, "TIPGRAPH_MIGRATIONS_DIR") or PROJECT_ROOT / "migrations",
        tokens=TokenSettings(
            production=environment is Environment.PRODUCTION,
            keys_dir=state_dir / "keys",
            issuer=env.get("TIPGRAPH_JWT_ISSUER", "tipgraph-dev"),
            audience=env.get("TIPGRAPH_JWT_AUDIENCE", "tipgraph"),
            algorithms=algorithms,
            public_key_file=_path(env, "TIPGRAPH_JWT_PUBLIC_KEY_FILE"),
            jwks_url=env.get("TIPGRAPH_JWT_JWKS_URL") or None,
            private_key_file=_path(env, "TIPGRAPH_JWT_PRIVATE_KEY_FILE"),
            jwks_min_refetch_seconds=_int(env, "TIPGRAPH_JWKS_MIN_REFETCH_SECONDS", 30),
            revocation_ttl_seconds=_int(env, "TIPGRAPH_REVOCATION_TTL_SECONDS", 5),
        ),
        reads=ReadSettings(
            default_page_size=_int(env, "TIPGRAPH_DEFAULT_PAGE_SIZE", 20),
            max_page_size=_int(env, "TIPGRAPH_MAX_PAGE_SIZE", 100),
            default_phone_region=phone_region,
            common_identifier_reports=_int(env, "TIPGRAPH_COMMON_IDENTIFIER_REPORTS", 50),
            statistics_threshold=_int(env, "TIPGRAPH_STATISTICS_THRESHOLD", 10),
            statistics_noise=_int(env, "TIPGRAPH_STATISTICS_NOISE", 3),
            links_budget_seconds=_int(env, "TIPGRAPH_LINKS_BUDGET_SECONDS", 10),
            package_link_seconds=_int(env, "TIPGRAPH_PACKAGE_LINK_SECONDS", 300),
            subscription_recheck_seconds=_int(env, "TIPGRAPH_SUBSCRIPTION_RECHECK_SECONDS", 60),
        ),
        intake=Limits(
            max_string_length=_int(env, "TIPGRAPH_MAX_STRING_LENGTH", 100_000),
            default_phone_region=phone_region,
            max_identifiers=_int(env, "TIPGRAPH_MAX_IDENTIFIERS_PER_REPORT", 2_000),
        ),
        edge=EdgeLimits(
            max_depth=_int(env, "TIPGRAPH_MAX_DEPTH", DEFAULT_EDGE.max_depth),
            max_aliases=_int(env, "TIPGRAPH_MAX_ALIASES", DEFAULT_EDGE.max_aliases),
            max_tokens=_int(env, "TIPGRAPH_MAX_TOKENS", DEFAULT_EDGE.max_tokens),
            max_directives=_int(env, "TIPGRAPH_MAX_DIRECTIVES", DEFAULT_EDGE.max_directives),
            max_cost=_int(env, "TIPGRAPH_MAX_COST", DEFAULT_EDGE.max_cost),
            default_list_size=_int(env, "TIPGRAPH_COST_LIST_SIZE", DEFAULT_EDGE.default_list_size),
            max_batch=_int(env, "TIPGRAPH_MAX_BATCH", DEFAULT_EDGE.max_batch),
            max_expanded_fields=_int(env, "TIPGRAPH_MAX_EXPANDED_FIELDS",
                                     DEFAULT_EDGE.max_expanded_fields),
            max_repeated_fields=_int(env, "TIPGRAPH_MAX_REPEATED_FIELDS",
                                     DEFAULT_EDGE.max_repeated_fields),
        ),
        mutations_per_minute=_int(env, "TIPGRAPH_RATE_MUTATIONS_PER_MINUTE", 600),
        expensive_per_minute=_int(env, "TIPGRAPH_RATE_EXPENSIVE_PER_MINUTE", 600),
        geoip_db=_path(env, "TIPGRAPH_GEOIP_DB"),
        enrichment_worker=env.get("TIPGRAPH_ENRICHMENT_WORKER", "true").lower() != "false",
        compiled_reads=env.get("TIPGRAPH_COMPILED_READS", "true").lower() != "false",
        content_dir=_path(env, "TIPGRAPH_CONTENT_DIR") or state_dir / "content",
        content_key=env.get("TIPGRAPH_CONTENT_KEY") or None,
        content_keys=env.get("TIPGRAPH_CONTENT_KEYS") or None,
        backup_key=env.get("TIPGRAPH_BACKUP_KEY") or None,
        identifier_key=env.get("TIPGRAPH_IDENTIFIER_KEY") or None,
        max_upload_bytes=_int(env, "TIPGRAPH_MAX_UPLOAD_BYTES", 4 * 1024 ** 3),
        sweep_seconds=_int(env, "TIPGRAPH_SWEEP_SECONDS", 60),
        event_poll_seconds=_int(env, "TIPGRAPH_EVENT_POLL_MS", 200) / 1000,
        event_numbering_seconds=_int(env, "TIPGRAPH_EVENT_NUMBERING_SECONDS", 30),
        max_subscriptions=_int(env, "TIPGRAPH_MAX_SUBSCRIPTIONS", 10),
        package_key_file=_path(env, "TIPGRAPH_PACKAGE_KEY_FILE"),
        package_retired_keys_file=_path(env, "TIPGRAPH_PACKAGE_RETIRED_KEYS_FILE"),
        event_retention_days=_int(env, "TIPGRAPH_EVENT_RETENTION_DAYS", 90),
        oidc=_oidc(env),
    )


def _oidc(env: Mapping[str, str]) -> OidcSettings | None:
    """The workspace's OpenID Connect sign-in: both settings or neither, and an https
    authorization endpoint (http only on this machine)."""
    url = env.get("TIPGRAPH_OIDC_AUTHORIZATION_URL") or None
    client = env.get("TIPGRAPH_OIDC_CLIENT_ID") or None
    if (url is None) != (client is None):
        raise SettingsError("set TIPGRAPH_OIDC_AUTHORIZATION_URL and TIPGRAPH_OIDC_CLIENT_ID "
                            "together, or neither")
    if url is not None and not (url.startswith("https://") or url.startswith(
            ("http://localhost", "http://127.0.0.1"))):
        raise SettingsError("TIPGRAPH_OIDC_AUTHORIZATION_URL must be an https URL")
    if url is None or client is None:
        return None
    return OidcSettings(url, client, env.get("TIPGRAPH_OIDC_SCOPE") or "openid")


def content_store(settings: Settings) -> ContentStore:
    """The content store under the current key (``TIPGRAPH_CONTENT_KEYS``' first, else
    ``TIPGRAPH_CONTENT_KEY``, else the development key), the old keys still reading."""
    try:
        current, old = load_content_keys(settings.content_keys, settings.content_key,
                                         settings.state_dir, production=settings.production)
    except ValueError as error:
        raise SettingsError(str(error)) from None
    return ContentStore(settings.content_dir, current, old)


def identifier_ids(settings: Settings) -> IdentifierIds:
    """Keyed identifier ids: ``TIPGRAPH_IDENTIFIER_KEY``, or the development key."""
    try:
        return IdentifierIds(load_key(settings.identifier_key,
                                      settings.state_dir / "keys" / "identifier.key",
                                      "TIPGRAPH_IDENTIFIER_KEY",
                                      production=settings.production))
    except ValueError as error:
        raise SettingsError(str(error)) from None
