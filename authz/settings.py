"""What the authorization layer needs to know: the bearer tokens' issuer, audience and keys.

``api.settings`` reads the ``TIPGRAPH_JWT_*`` environment variables and builds this; nothing in
``authz`` reads the environment or imports ``api``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class TokenSettings:
    production: bool  # refuses the development key pair
    keys_dir: Path  # where the development key pair is made on first use
    issuer: str
    audience: str
    algorithms: tuple[str, ...]  # the allow-list; a token's own ``alg`` never chooses
    public_key_file: Path | None
    jwks_url: str | None
    private_key_file: Path | None  # for minting (tipgraph token mint)
    jwks_min_refetch_seconds: float
    revocation_ttl_seconds: float
