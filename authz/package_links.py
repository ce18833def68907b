"""Download links for referral packages: short-lived tokens bound to one package.

A link names the report, the agency, the scopes and the moment the package was made, and the
SHA-256 of the PDF it was made for, so that a download rebuilds exactly that package (or is
refused when the report changed since). It is signed with the package key (EdDSA) and carries
the jti of the token it was made with, which stays revocable.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import jwt

from authz.principal import Principal
from authz.roles import ROLE_SCOPES, Role, Scope
from graph.core.errors import BadInput, Forbidden, Unauthenticated
from graph.referrals.packages.signing import Signer

AUDIENCE: Final = "tipgraph-package-download"


@dataclass(frozen=True, slots=True)
class LinkClaims:
    subject: str
    role: str
    report_id: int
    agency_id: str
    scopes: frozenset[str]
    generated_at: datetime
    pdf_sha256: str
    json_sha256: str
    parent_token_id: str | None


def mint_link(signer: Signer, principal: Principal, *, report_id: int, agency_id: str,
              scopes: Collection[str], generated_at: datetime, pdf_sha256: str,
              json_sha256: str, seconds: int) -> str:
    now = int(time.time())
    return jwt.encode({
        "aud": AUDIENCE, "iat": now, "exp": now + seconds, "jti": str(uuid.uuid4()),
        "sub": principal.subject, "role": principal.role.value, "rid": report_id,
        "agency": agency_id, "scope": " ".join(sorted(scopes)),
        "gen": generated_at.isoformat(), "pdf": pdf_sha256, "json": json_sha256,
        "ptj": principal.token_id}, signer.private_key, algorithm="EdDSA")


def verify_link(signer: Signer, token: str) -> LinkClaims:
    """The link's claims; ``UNAUTHENTICATED`` when it is forged, expired or malformed."""
    if len(token) > 4096:
        raise Unauthenticated("the download link is too large")
    try:
        claims = jwt.decode(token, signer.public_key, algorithms=["EdDSA"], audience=AUDIENCE,
                            options={"require": ["exp", "aud", "sub", "rid", "agency", "gen",
                                                 "pdf", "json"]})
        return LinkClaims(
            subject=str(claims["sub"]), role=str(claims.get("role")),
            report_id=int(claims["rid"]), agency_id=str(claims["agency"]),
            scopes=frozenset(str(claims.get("scope", "")).split()),
            generated_at=datetime.fromisoformat(str(claims["gen"])),
            pdf_sha256=str(claims["pdf"]), json_sha256=str(claims["json"]),
            parent_token_id=claims.get("ptj") if isinstance(claims.get("ptj"), str) else None)
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("the download link has expired; ask for the package again") \
            from None
    except (jwt.PyJWTError, ValueError, TypeError):
        raise Unauthenticated("the download link is not valid") from None


def package_recipient(principal: Principal, agency_id: str | None) -> tuple[str, frozenset[str]]:
    """For whom, and with which scopes, ``principal`` may make a package.

    An investigator gets its own agency's package with its token's scopes. An analyst names the
    agency and sees what that agency's tokens get by default (law enforcement's scopes).
    Anyone else: ``FORBIDDEN``.
    """
    if principal.role is Role.LE and principal.agency_id is not None:
        if agency_id is not None and agency_id != principal.agency_id:
            raise Forbidden("an agency's token makes its own agency's packages")
        principal.require(Scope.REPORT_READ)
        return principal.agency_id, frozenset(s.value for s in principal.scopes)
    if principal.role is Role.ANALYST:
        principal.require(Scope.REPORT_REFER)
        if agency_id is None:
            raise BadInput("name the agency the package is for", field="agencyId")
        return agency_id, frozenset(s.value for s in ROLE_SCOPES[Role.LE])
    raise Forbidden("referral packages are for law enforcement and analysts")
