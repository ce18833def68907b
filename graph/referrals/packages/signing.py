"""Ed25519 signatures for referral packages, and the check that names what changed.

Each signed file travels with a signature file (``<file>.sig``, JSON):

- ``signature``: Ed25519 over the file's exact bytes (any Ed25519 library can check it with
  ``publicKey``);
- ``manifest``: the file's SHA-256, size, and a digest per *section* (per JSON entry and list
  item, per PDF page), signed too (``manifestSignature``), so that a changed file can be told
  apart section by section: "files[2] changed", "page 3 changed".

Ed25519 is deterministic: the same key and bytes always give the same signature.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

SIGNATURE_FORMAT: Final = "tipgraph.signature/1"
DEV_KEY_NAME: Final = "package-signing-key.pem"


class SigningKeyError(ValueError):
    """The signing key cannot be used (missing in production, unreadable, not Ed25519)."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    """The first 16 hex digits of the SHA-256 of the raw public key."""
    return _sha256(raw_public(key))[:16]


def public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM,
                            serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise SigningKeyError("the public key is not an Ed25519 key")
    return key


def _same_key(key: Ed25519PrivateKey, other_file: Path) -> bool:
    try:
        other = serialization.load_pem_private_key(other_file.read_bytes(), password=None)
    except (OSError, ValueError):
        return False
    raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
    return isinstance(other, Ed25519PrivateKey) and (
        other.public_key().public_bytes(*raw) == key.public_key().public_bytes(*raw))


@dataclass(frozen=True)
class RetiredKey:
    """A package-signing key no longer in use: packages it signed while it was valid still
    verify (``TIPGRAPH_PACKAGE_RETIRED_KEYS_FILE``)."""

    public_key: Ed25519PublicKey
    valid_from: datetime | None
    valid_until: datetime

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)

    def covers(self, signed_at: datetime) -> bool:
        return ((self.valid_from is None or self.valid_from <= signed_at)
                and signed_at <= self.valid_until)

    def public(self) -> dict[str, Any]:
        return {"keyId": self.key_id, "algorithm": "Ed25519",
                "publicKey": public_pem(self.public_key),
                "validFrom": self.valid_from.isoformat() if self.valid_from else None,
                "validUntil": self.valid_until.isoformat()}


def load_retired_keys(path: Path | None) -> list[RetiredKey]:
    """The retired keys a JSON file lists: ``[{"publicKey": PEM (or "publicKeyFile": path),
    "validFrom": ISO time or null, "validUntil": ISO time}]``; ``SigningKeyError`` for anything
    else."""
    if path is None:
        return []
    try:
        listed = json.loads(path.read_text())
        keys = []
        for item in listed:
            pem = (item["publicKey"].encode() if "publicKey" in item
                   else (path.parent / item["publicKeyFile"]).read_bytes())
            since = item.get("validFrom")
            keys.append(RetiredKey(load_public_key(pem),
                                   _aware(datetime.fromisoformat(since)) if since else None,
                                   _aware(datetime.fromisoformat(item["validUntil"]))))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise SigningKeyError(f"cannot read the retired package keys in {path}: "
                              f"{error}") from None
    return keys


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Signer:
    private_key: Ed25519PrivateKey
    retired: tuple[RetiredKey, ...] = ()  # earlier keys: they verify, they never sign

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @classmethod
    def load(cls, *, key_file: Path | None, state_dir: Path, production: bool,
             retired_file: Path | None = None) -> Signer:
        """The configured key (PEM, PKCS#8 Ed25519), or in development one generated once
        under the state folder, with the retired keys ``retired_file`` lists. Production
        without a configured key is refused."""
        if key_file is None:
            if production:
                raise SigningKeyError("production mode needs TIPGRAPH_PACKAGE_KEY_FILE (an Ed25519 "
                                "private key in PEM) to sign referral packages")
            key_file = state_dir / DEV_KEY_NAME
            if not key_file.exists():
                key_file.parent.mkdir(parents=True, exist_ok=True)
                pem = Ed25519PrivateKey.generate().private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption())
                descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(descriptor, "wb") as handle:
                    handle.write(pem)
        try:
            key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
        except (OSError, ValueError) as error:
            raise SigningKeyError(
                f"cannot read the package signing key {key_file}: {error}") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise SigningKeyError(f"{key_file} is not an Ed25519 private key")
        development = state_dir / DEV_KEY_NAME
        if production and development.exists() and _same_key(key, development):
            raise SigningKeyError(f"{key_file} is the development package key (compared by "
                                  "content); production needs a key of its own")
        retired = load_retired_keys(retired_file)
        if any(raw_public(r.public_key) == raw_public(key.public_key()) for r in retired):
            raise SigningKeyError("the current package key is also listed as retired")
        return cls(key, tuple(retired))

    def sign(self, data: bytes) -> str:
        return _b64(self.private_key.sign(data))

    def envelope(self, file: str, data: bytes, sections: Mapping[str, str],
                 signed_at: str) -> dict[str, Any]:
        """The signature file's content for ``data``."""
        manifest = {"file": file, "sha256": _sha256(data), "size": len(data),
                    "signedAt": signed_at, "keyId": key_id(self.public_key),
                    "sections": dict(sections)}
        return {"format": SIGNATURE_FORMAT, "algorithm": "Ed25519",
                "keyId": key_id(self.public_key), "publicKey": _b64(raw_public(self.public_key)),
                "signature": self.sign(data), "manifest": manifest,
                "manifestSignature": self.sign(canonical(manifest))}


# -- sections: how a changed file is told apart -----------------------------------------------

def json_sections(data: bytes) -> dict[str, str]:
    """A digest per top-level entry of a JSON document, and per item of its lists."""
    document = json.loads(data)
    if not isinstance(document, dict):
        raise ValueError("a package document is a JSON object")
    sections: dict[str, str] = {}
    for key, value in document.items():
        if isinstance(value, list):
            sections[f"{key}[]"] = _sha256(canonical(len(value)))
            for index, item in enumerate(value):
                sections[f"{key}[{index}]"] = _sha256(canonical(item))
        else:
            sections[key] = _sha256(canonical(value))
    return sections


def pdf_sections(data: bytes) -> dict[str, str]:
    """A digest per page's content stream, and one for everything else in the file (fonts,
    metadata, structure), computed as the whole file with the page streams taken out."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data), strict=True)
    sections: dict[str, str] = {"pages": _sha256(canonical(len(reader.pages)))}
    rest = data
    for number, page in enumerate(reader.pages, start=1):
        contents = page.get_contents()
        stream = contents.get_data() if contents is not None else b""
        sections[f"page {number}"] = _sha256(stream)
        raw = getattr(contents, "_data", b"") if contents is not None else b""
        if raw:
            rest = rest.replace(raw, b"", 1)
    sections["document structure, fonts and metadata"] = _sha256(rest)
    return sections


def sections_of(name: str, data: bytes) -> dict[str, str]:
    return pdf_sections(data) if name.endswith(".pdf") else json_sections(data)


# -- verification ---------------------------------------------------------------------------

def _valid(key: Ed25519PublicKey, signature: str, data: bytes) -> bool:
    try:
        key.verify(base64.b64decode(signature, validate=True), data)
    except (InvalidSignature, ValueError):
        return False
    return True


def verify(data: bytes, envelope: Mapping[str, Any], *, name: str,
           trusted: Ed25519PublicKey | None,
           retired: Sequence[RetiredKey] = ()) -> dict[str, Any]:
    """Check ``data`` against its signature file. ``ok`` is True only when the bytes are the
    signed ones and the key is the trusted one, or a ``retired`` one that was valid when the
    package was signed (``retiredKey`` says which); otherwise ``problems`` and ``changed`` say
    why, naming the sections that differ."""
    problems: list[str] = []
    try:
        signer_key = Ed25519PublicKey.from_public_bytes(
            base64.b64decode(str(envelope["publicKey"]), validate=True))
        manifest = envelope["manifest"]
        signature = str(envelope["signature"])
        manifest_signature = str(envelope["manifestSignature"])
        if envelope.get("format") != SIGNATURE_FORMAT or envelope.get("algorithm") != "Ed25519":
            raise ValueError("unknown signature format")
    except (KeyError, TypeError, ValueError):
        return {"ok": False, "file": name, "problems": ["the signature file is not one "
                                                        "tipgraph writes"], "changed": []}
    result: dict[str, Any] = {"file": name, "keyId": key_id(signer_key),
                              "signedAt": manifest.get("signedAt"), "sha256": _sha256(data)}
    former = next((k for k in retired if raw_public(k.public_key) == raw_public(signer_key)),
                  None)
    if former is not None:
        result["retiredKey"] = former.public()
        try:
            signed_at = _aware(datetime.fromisoformat(str(manifest.get("signedAt"))))
        except ValueError:
            signed_at = None
        if signed_at is None or not former.covers(signed_at):
            problems.append(f"signed with retired key {former.key_id} at "
                            f"{manifest.get('signedAt')}, outside its validity "
                            f"({result['retiredKey']['validFrom']} to "
                            f"{result['retiredKey']['validUntil']})")
        else:
            result["note"] = (f"signed with retired key {former.key_id}, valid then "
                              f"({result['retiredKey']['validFrom']} to "
                              f"{result['retiredKey']['validUntil']})")
    elif trusted is not None and raw_public(trusted) != raw_public(signer_key):
        problems.append(f"signed with key {key_id(signer_key)}, not the trusted key "
                        f"{key_id(trusted)}")
    if trusted is None and former is None:
        problems.append("no trusted key to check against (pass --public-key)")
    if not _valid(signer_key, manifest_signature, canonical(manifest)):
        problems.append("the signature file itself was changed (its manifest does not verify)")
    changed: list[str] = []
    if not _valid(signer_key, signature, data):
        problems.append("the file is not the one that was signed "
                        f"(SHA-256 {result['sha256'][:16]}…, signed "
                        f"{str(manifest.get('sha256'))[:16]}…)")
        changed = _changed(name, data, manifest.get("sections") or {})
    result.update(ok=not problems, problems=problems, changed=changed)
    return result


def _changed(name: str, data: bytes, signed: Mapping[str, str]) -> list[str]:
    try:
        now = sections_of(name, data)
    except Exception as error:  # a damaged file: say so instead of naming sections
        kind = "PDF" if name.endswith(".pdf") else "JSON document"
        return [f"the whole file: it no longer reads as a {kind} ({type(error).__name__})"]
    changed = [f"{key} changed" for key in signed if key in now and now[key] != signed[key]]
    changed += [f"{key} removed" for key in signed if key not in now]
    changed += [f"{key} added" for key in now if key not in signed]
    return changed or ["only bytes between sections (whitespace or layout) changed"]
