"""Keys that rotate (issue #18, item 2): old material stays readable or verifiable, new material
uses the new key, and retired keys are refused where they must be."""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from api.app import create_app
from api.settings import Settings
from graph.referrals.packages.signing import (
    RetiredKey,
    Signer,
    SigningKeyError,
    json_sections,
    key_id,
    public_pem,
    verify,
)
from graph.reports.blobs import LEGACY_MAGIC, ContentStore, content_key_id
from tests.helpers import make_settings, tipgraph


def _stored(store: ContentStore, data: bytes) -> str:
    blob = store.open_blob(limit=1 << 20)
    blob.write(data)
    store.keep(blob)
    return blob.address


def _legacy(store: ContentStore, key: bytes, data: bytes) -> str:
    """A blob as tipgraph wrote them before key ids (TGC1 | nonce | ciphertext | tag)."""
    import hashlib

    nonce = secrets.token_bytes(12)
    encryptor = Cipher(algorithms.AES(key), modes.GCM(nonce)).encryptor()
    address = hashlib.sha256(data).hexdigest()
    path = store.path(address)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(LEGACY_MAGIC + nonce + encryptor.update(data) + encryptor.finalize()
                     + encryptor.tag)
    return address


def test_content_keys_rotate_and_old_blobs_are_rekeyed(tmp_path: Path) -> None:
    old, new = secrets.token_bytes(32), secrets.token_bytes(32)
    before = ContentStore(tmp_path, old)
    written = _stored(before, b"synthetic bytes under the old key")
    legacy = _legacy(before, old, b"synthetic bytes from before key ids")
    assert before.key_of(written) == content_key_id(old)

    # rotated: the new key writes, the old one still reads
    rotated = ContentStore(tmp_path, new, [old])
    assert rotated.read(written) == b"synthetic bytes under the old key"
    assert rotated.read(legacy) == b"synthetic bytes from before key ids"
    fresh = _stored(rotated, b"synthetic bytes under the new key")
    assert rotated.key_of(fresh) == content_key_id(new)
    # without the old key, its blobs say which key they need
    with pytest.raises(ValueError, match=content_key_id(old).hex()):
        ContentStore(tmp_path, new).read(written)

    # rekeyed: every blob under the new key, the old key retirable, and again changes nothing
    seen: list[tuple[int, int]] = []
    done = rotated.rekey(lambda n, total: seen.append((n, total)))
    assert done["rekeyed"] == 2
    assert done["blobs"] == 3
    assert done["retirable"] == [content_key_id(old).hex()]
    assert done["oldKeysStillNeeded"] == []
    assert seen[-1] == (3, 3)
    assert rotated.rekey()["rekeyed"] == 0
    alone = ContentStore(tmp_path, new)
    assert alone.read(written) == b"synthetic bytes under the old key"
    assert alone.read(legacy) == b"synthetic bytes from before key ids"
    assert {alone.key_of(a) for a in (written, legacy, fresh)} == {content_key_id(new)}


def test_the_rekey_command_says_when_an_old_key_may_go(settings: Settings,
                                                      tmp_path: Path) -> None:
    old, new = secrets.token_bytes(32), secrets.token_bytes(32)
    content = tmp_path / "content"
    _stored(ContentStore(content, old), b"synthetic bytes")
    keys = ",".join(base64.b64encode(k).decode() for k in (new, old))
    done = tipgraph(make_settings(settings.neo4j_uri, tmp_path), "content", "rekey",
                    env={"TIPGRAPH_CONTENT_DIR": str(content), "TIPGRAPH_CONTENT_KEYS": keys})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["rekeyed"] == 1
    assert f"content key {content_key_id(old).hex()}" in done.stderr
    assert "may be removed" in done.stderr
    # a malformed list is a clear error, not a traceback
    bad = tipgraph(make_settings(settings.neo4j_uri, tmp_path), "content", "rekey",
                   env={"TIPGRAPH_CONTENT_DIR": str(content),
                        "TIPGRAPH_CONTENT_KEYS": "not-a-key"})
    assert bad.returncode == 1
    assert "TIPGRAPH_CONTENT_KEYS" in bad.stderr
    assert "Traceback" not in bad.stderr


def _key_file(folder: Path, name: str) -> tuple[Path, Ed25519PrivateKey]:
    key = Ed25519PrivateKey.generate()
    path = folder / name
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return path, key


def _signed(signer: Signer, at: datetime) -> tuple[bytes, dict[str, Any]]:
    data = b'{"report": {"id": 1}, "files": []}'
    return data, signer.envelope("package.json", data, json_sections(data), at.isoformat())


def test_packages_signed_under_a_retired_key_verify_within_its_validity(
        tmp_path: Path) -> None:
    old_file, _ = _key_file(tmp_path, "old.pem")
    new_file, _ = _key_file(tmp_path, "new.pem")
    old = Signer.load(key_file=old_file, state_dir=tmp_path, production=False)
    signed_at = datetime(2026, 6, 1, tzinfo=UTC)
    data, envelope = _signed(old, signed_at)
    retired_file = tmp_path / "retired.json"
    retired_file.write_text(json.dumps([{
        "publicKey": public_pem(old.public_key), "validFrom": "2026-01-01T00:00:00+00:00",
        "validUntil": "2026-07-01T00:00:00+00:00"}]))
    new = Signer.load(key_file=new_file, state_dir=tmp_path, production=False,
                      retired_file=retired_file)
    # the old package verifies, and says under which retired key
    checked = verify(data, envelope, name="package.json", trusted=new.public_key,
                     retired=new.retired)
    assert checked["ok"] is True, checked
    assert checked["retiredKey"]["keyId"] == key_id(old.public_key)
    assert "retired key" in checked["note"]
    # new packages are signed with the new key only
    _, fresh = _signed(new, datetime.now(UTC))
    assert fresh["keyId"] == key_id(new.public_key)
    # signed by the retired key after its validity: refused
    _, late = _signed(old, datetime(2026, 8, 1, tzinfo=UTC))
    refused = verify(data, late, name="package.json", trusted=new.public_key,
                     retired=new.retired)
    assert refused["ok"] is False
    assert "outside its validity" in refused["problems"][0]
    # and without the retired list, the old key is not trusted
    assert verify(data, envelope, name="package.json", trusted=new.public_key)["ok"] is False
    # the current key cannot also be listed as retired
    retired_file.write_text(json.dumps([{"publicKey": public_pem(new.public_key),
                                         "validUntil": "2026-07-01T00:00:00+00:00"}]))
    with pytest.raises(SigningKeyError, match="also listed as retired"):
        Signer.load(key_file=new_file, state_dir=tmp_path, production=False,
                    retired_file=retired_file)


async def test_the_signing_keys_are_published_with_their_validity(settings: Settings,
                                                                  tmp_path: Path) -> None:
    _, old_key = _key_file(tmp_path, "old.pem")
    new_file, _ = _key_file(tmp_path, "new.pem")
    retired = RetiredKey(old_key.public_key(), None, datetime(2026, 7, 1, tzinfo=UTC))
    (tmp_path / "retired.json").write_text(json.dumps([{
        "publicKeyFile": "old.pub.pem", "validFrom": None,
        "validUntil": retired.valid_until.isoformat()}]))
    (tmp_path / "old.pub.pem").write_text(public_pem(old_key.public_key()))
    app = create_app(make_settings(
        settings.neo4j_uri, tmp_path, TIPGRAPH_PACKAGE_KEY_FILE=str(new_file),
        TIPGRAPH_PACKAGE_RETIRED_KEYS_FILE=str(tmp_path / "retired.json"),
        TIPGRAPH_ENRICHMENT_WORKER="false"))
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                  base_url="http://tipgraph.test") as client):
        keys = (await client.get("/packages/signing-keys")).json()
    current = Signer.load(key_file=new_file, state_dir=tmp_path, production=False)
    assert keys["current"]["keyId"] == key_id(current.public_key)
    assert keys["retired"] == [retired.public()]
    assert "PRIVATE" not in json.dumps(keys)


async def test_the_verify_command_accepts_a_retired_key_and_says_so(
        settings: Settings, tmp_path: Path) -> None:
    old_file, _ = _key_file(tmp_path, "old.pem")
    new_file, _ = _key_file(tmp_path, "new.pem")
    old = Signer.load(key_file=old_file, state_dir=tmp_path, production=False)
    data, envelope = _signed(old, datetime.now(UTC) - timedelta(days=1))
    (tmp_path / "package.json").write_bytes(data)
    (tmp_path / "package.json.sig").write_text(json.dumps(envelope))
    (tmp_path / "retired.json").write_text(json.dumps([{
        "publicKey": public_pem(old.public_key), "validFrom": None,
        "validUntil": datetime.now(UTC).isoformat()}]))
    done = await asyncio.to_thread(
        tipgraph, make_settings(settings.neo4j_uri, tmp_path), "package", "verify",
        str(tmp_path / "package.json"),
        env={"TIPGRAPH_PACKAGE_KEY_FILE": str(new_file),
             "TIPGRAPH_PACKAGE_RETIRED_KEYS_FILE": str(tmp_path / "retired.json")})
    assert done.returncode == 0, done.stdout
    assert "retired key" in json.loads(done.stdout)["note"]


async def test_a_static_jwt_key_rolls_from_one_to_two_and_back_without_refusing_tokens(
        settings: Settings, tmp_path: Path) -> None:
    from authz.roles import Role
    from authz.tokens import TokenVerifier, load_keys, mint_token
    from graph.core.errors import Unauthenticated
    from tests.helpers import write_key_pair

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a_private, a_public = write_key_pair(tmp_path / "a")
    b_private, b_public = write_key_pair(tmp_path / "b")

    def keyed(public: str, private: Path) -> Any:
        (tmp_path / "verify.pem").write_text(public)
        config = make_settings(settings.neo4j_uri, tmp_path,
                               TIPGRAPH_JWT_PUBLIC_KEY_FILE=str(tmp_path / "verify.pem"),
                               TIPGRAPH_JWT_PRIVATE_KEY_FILE=str(private)).tokens
        return load_keys(config), config

    def token(private: Path, public: str) -> str:
        keys, config = keyed(public, private)
        return mint_token(keys, config, role=Role.ANALYST)

    one_a, two = a_public.read_text(), a_public.read_text() + b_public.read_text()
    old_token = token(a_private, one_a)  # issued before the rollover, still valid
    # 1. both keys published (the old one first): old tokens and new ones verify
    keys, config = keyed(two, b_private)
    new_token = mint_token(keys, config, role=Role.ANALYST)
    verifier = TokenVerifier(keys, config)
    assert (await verifier.verify(old_token)).role is Role.ANALYST
    assert (await verifier.verify(new_token)).role is Role.ANALYST
    # 2. back to one key once the old tokens have expired: the old key's tokens are refused
    keys, config = keyed(b_public.read_text(), b_private)
    verifier = TokenVerifier(keys, config)
    assert (await verifier.verify(new_token)).role is Role.ANALYST
    with pytest.raises(Unauthenticated):
        await verifier.verify(old_token)
