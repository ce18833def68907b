"""Bearer JWTs: verification with pyjwt (RFC 8725) and, for local use, minting.

The algorithm allow-list comes from settings, never from the token. ``exp``, ``iat``, ``sub``,
``iss`` and ``aud`` are required. Without key settings a development RSA key pair is generated
on first use under ``<state_dir>/keys``; production mode refuses to start on it.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from authz.jwks import JwksKeys
from authz.principal import Principal
from authz.revocations import RevocationList
from authz.roles import Role, granted_scopes
from authz.settings import TokenSettings
from graph.core.errors import SettingsError, Unauthenticated
from graph.reports.reporters import ID_PATTERN

REQUIRED_CLAIMS: Final = ("exp", "iat", "sub", "iss", "aud", "jti")
LEEWAY_SECONDS: Final = 30
MAX_TOKEN_BYTES: Final = 8192


@dataclass(frozen=True, slots=True)
class Keys:
    """The verification key (or JWKS client), and the signing key when this process has one."""

    public_key: Any | None
    jwks: JwksKeys | None
    private_key: Any | None
    kid: str | None
    development: bool
    # every static verification key (the public key file may hold several PEM blocks while a
    # key rolls over: tokens under either verify), the first being ``public_key``
    public_keys: tuple[Any, ...] = ()


def _dev_key_paths(settings: TokenSettings) -> tuple[Path, Path]:
    folder = settings.keys_dir
    return folder / "dev-jwt-private.pem", folder / "dev-jwt-public.pem"


def _ensure_dev_keys(settings: TokenSettings) -> tuple[Path, Path]:
    private_path, public_path = _dev_key_paths(settings)
    if private_path.exists() and public_path.exists():
        return private_path, public_path
    private_path.parent.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    tmp = private_path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    public_path.write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    os.replace(tmp, private_path)
    return private_path, public_path


def _der(public_key: Any) -> bytes:
    der: bytes = public_key.public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)
    return der


def _kid(public_key: Any) -> str:
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(public_key, as_dict=True)
    digest = hashlib.sha256(f'{jwk["e"]}.{jwk["n"]}'.encode()).digest()
    thumb = jwt.utils.base64url_encode(digest).decode()
    return thumb[:16]


PEM_BLOCK: Final = re.compile(rb"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----",
                              re.DOTALL)


def _public_keys(pem: bytes) -> list[Any]:
    """Every public key in a PEM file (one, or several during a rollover)."""
    blocks = PEM_BLOCK.findall(pem) or [pem]
    return [serialization.load_pem_public_key(block) for block in blocks]


def _key_id(public_key: Any) -> str | None:
    return _kid(public_key) if isinstance(public_key, rsa.RSAPublicKey) else None


def load_keys(settings: TokenSettings) -> Keys:
    """Keys from settings; the development pair when none are configured (refused in production)."""
    private_key = None
    if settings.private_key_file is not None:
        private_key = serialization.load_pem_private_key(
            settings.private_key_file.read_bytes(), password=None)
    if settings.jwks_url:
        jwks = JwksKeys(settings.jwks_url,
                        min_refetch_seconds=settings.jwks_min_refetch_seconds)
        return Keys(public_key=None, jwks=jwks, private_key=private_key, kid=None,
                    development=False)
    if settings.public_key_file is not None:
        listed = _public_keys(settings.public_key_file.read_bytes())
        public_key = listed[0]
        # The development key by content, not by path: a copy of it is still that key.
        dev_public = _dev_key_paths(settings)[1]
        development = dev_public.exists() and _der(
            serialization.load_pem_public_key(dev_public.read_bytes())) == _der(public_key)
        if private_key is None and development:
            private_key = serialization.load_pem_private_key(
                _dev_key_paths(settings)[0].read_bytes(), password=None)
        # tokens this process mints name the key that signs them (during a rollover the file
        # lists the old key first)
        signing = private_key.public_key() if private_key is not None else public_key
        return Keys(public_key=public_key, jwks=None, private_key=private_key,
                    kid=_key_id(signing), development=development, public_keys=tuple(listed))
    if settings.production:
        raise SettingsError(
            "production mode needs TIPGRAPH_JWT_PUBLIC_KEY_FILE or TIPGRAPH_JWT_JWKS_URL; "
            "it refuses the development key"
        )
    private_path, public_path = _ensure_dev_keys(settings)
    public_key = serialization.load_pem_public_key(public_path.read_bytes())
    if private_key is None:
        private_key = serialization.load_pem_private_key(private_path.read_bytes(), password=None)
    return Keys(public_key=public_key, jwks=None, private_key=private_key,
                kid=_kid(public_key), development=True)


def check_production_keys(settings: TokenSettings, keys: Keys) -> None:
    if settings.production and keys.development:
        raise SettingsError("production mode refuses to start on the development key")


def mint_token(
    keys: Keys,
    settings: TokenSettings,
    *,
    role: Role,
    subject: str | None = None,
    esp_id: str | None = None,
    agency_id: str | None = None,
    scope: str | None = None,
    ttl: int = 3600,
) -> str:
    """Sign a token with the configured private key (development key by default)."""
    if keys.private_key is None:
        raise SettingsError("no private key: set TIPGRAPH_JWT_PRIVATE_KEY_FILE to mint tokens")
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": subject or esp_id or agency_id or f"{role.value}-user",
        "role": role.value,
        "iss": settings.issuer,
        "aud": settings.audience,
        "iat": now,
        "nbf": now,
        "exp": now + ttl,
        "jti": str(uuid.uuid4()),
        "scope": scope if scope is not None else " ".join(sorted(
            s.value for s in granted_scopes(role, None))),
    }
    if esp_id:
        claims["esp_id"] = esp_id
    if agency_id:
        claims["agency_id"] = agency_id
    headers = {"kid": keys.kid} if keys.kid else None
    return jwt.encode(claims, keys.private_key, algorithm=settings.algorithms[0],
                      headers=headers)


class TokenVerifier:
    """Verifies bearer tokens; ``revocations`` (when given) refuses revoked ``jti``s."""

    def __init__(self, keys: Keys, settings: TokenSettings,
                 revocations: RevocationList | None = None) -> None:
        self.keys = keys
        self.settings = settings
        self.revocations = revocations

    async def _key_for(self, token: str) -> Any:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthenticated("the token is malformed") from None
        if header.get("alg") not in self.settings.algorithms:
            raise Unauthenticated("the token's algorithm is not accepted")
        kid = header.get("kid")
        if self.keys.jwks is not None:
            return await self.keys.jwks.key_for(kid if isinstance(kid, str) else None)
        if len(self.keys.public_keys) > 1:  # a rollover: the key the token names
            named = [k for k in self.keys.public_keys if _key_id(k) == kid]
            if kid is not None and named:
                return named[0]
            if kid is not None and all(_key_id(k) is not None for k in self.keys.public_keys):
                raise Unauthenticated("the token's key is unknown")
            return list(self.keys.public_keys)  # no kid: whichever verifies it
        if kid is not None and self.keys.kid is not None and kid != self.keys.kid:
            raise Unauthenticated("the token's key is unknown")
        return self.keys.public_key

    async def verify(self, token: str) -> Principal:
        """A Principal for a valid token; :class:`Unauthenticated` for anything else."""
        if len(token) > MAX_TOKEN_BYTES:
            raise Unauthenticated("the token is too large")
        found = await self._key_for(token)
        candidates = found if isinstance(found, list) else [found]
        for number, key in enumerate(candidates, 1):
            try:
                claims = jwt.decode(
                    token, key,
                    algorithms=list(self.settings.algorithms),
                    audience=self.settings.audience,
                    issuer=self.settings.issuer,
                    leeway=LEEWAY_SECONDS,
                    options={"require": list(REQUIRED_CLAIMS)},
                )
                break
            except jwt.ExpiredSignatureError:
                raise Unauthenticated("the token has expired") from None
            except (jwt.InvalidSignatureError, jwt.InvalidKeyError, jwt.InvalidAlgorithmError):
                if number == len(candidates):
                    raise Unauthenticated("the token is not valid") from None
            except jwt.PyJWTError:
                raise Unauthenticated("the token is not valid") from None
        principal = principal_from_claims(claims)
        if (self.revocations is not None and principal.token_id is not None
                and await self.revocations.is_revoked(principal.token_id)):
            raise Unauthenticated("the token was revoked")
        return principal


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    try:
        role = Role(str(claims.get("role")))
    except ValueError:
        raise Unauthenticated("the token has no valid role") from None
    subject = claims["sub"]
    scope = claims.get("scope")
    esp_id = claims.get("esp_id")
    agency_id = claims.get("agency_id")
    if not isinstance(subject, str) or (scope is not None and not isinstance(scope, str)):
        raise Unauthenticated("the token's claims are malformed")
    if role is Role.ESP and not (isinstance(esp_id, str) and ID_PATTERN.match(esp_id)):
        raise Unauthenticated("an esp token needs an esp_id claim")
    if role is Role.LE and not (isinstance(agency_id, str) and ID_PATTERN.match(agency_id)):
        raise Unauthenticated("an le token needs an agency_id claim")
    return Principal(
        subject=subject,
        role=role,
        scopes=granted_scopes(role, scope),
        esp_id=esp_id if role is Role.ESP else None,
        agency_id=agency_id if role is Role.LE else None,
        token_id=claims.get("jti") if isinstance(claims.get("jti"), str) else None,
    )
