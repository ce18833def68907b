"""What one API process shares across requests, built in the Starlette lifespan.

No GraphQL here: the CyberTipline XML door and the package downloads use it too.
"""

from __future__ import annotations

from dataclasses import dataclass

from authz.basic import EspCredentials
from authz.ratelimit import RateLimiter
from authz.tokens import TokenVerifier
from graph.audit.writer import AuditWriter
from graph.core.db import Database
from graph.events.log import EventHub
from graph.referrals.packages.signing import Signer
from graph.reports.intake.service import IntakeService
from graph.reports.reporters import RegisteredReporters
from resolvers.settings import ReadSettings


@dataclass(frozen=True, slots=True)
class Services:
    """What one API process shares across requests (built in the Starlette lifespan)."""

    reads: ReadSettings  # page sizes, thresholds and budgets (resolvers/settings.py)
    db: Database
    intake: IntakeService
    reporters: RegisteredReporters
    verifier: TokenVerifier
    limiter: RateLimiter
    credentials: EspCredentials  # the CyberTipline door's HTTP Basic
    events: EventHub  # live updates: the event log fanned out to this process's subscribers
    audit: AuditWriter  # group-committed audit events (live deliveries, packages)
    signer: Signer  # referral packages' Ed25519 key
