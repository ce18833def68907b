"""Uploaded file content: streamed to disk encrypted (AES-256-GCM), addressed by its SHA-256.

Bytes never sit whole in memory and never touch the disk in the clear: each chunk is hashed
(MD5, SHA-1, SHA-256) and encrypted as it arrives, into a temporary file beside the store. When
the upload is complete the file is renamed to its address (``ab/cd/<sha256>``); content that is
already stored is not stored twice. A blob is deleted only when no ``:File`` refers to it any
more (``release``), so two reports of the same image share one blob safely.

Blob layout: ``TGC2`` | 8-byte key id | 12-byte nonce | ciphertext | 16-byte GCM tag. The key
id names the content key the blob is under (:func:`content_key_id`), so that keys rotate: the
store holds the current key, which writes, and old ones, which still read
(``TIPGRAPH_CONTENT_KEYS``); ``tipgraph content rekey`` moves every blob to the current key
(:meth:`ContentStore.rekey`), after which an old key no blob needs can be retired. Blobs written
before key ids (``TGC1`` | nonce | ciphertext | tag) are read with whichever key opens them,
and rekeyed like the rest.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import secrets
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from neo4j import AsyncManagedTransaction

from graph.core.db import Database, run
from graph.core.errors import BadInput
from graph.core.keyfiles import load_key

CONTENT_ADDRESS: Final = re.compile(r"[0-9a-f]{64}\Z")
log = logging.getLogger("tipgraph.content")
LEGACY_MAGIC: Final = b"TGC1"
MAGIC: Final = b"TGC2"
KEY_ID_BYTES: Final = 8
NONCE_BYTES: Final = 12
TAG_BYTES: Final = 16
HEAD_BYTES: Final = 16

STILL_REFERENCED: Final = """
UNWIND $refs AS ref
OPTIONAL MATCH (f:File {contentRef: ref})
WITH ref, count(f) AS files
WHERE files = 0
RETURN ref
"""


class TooLarge(BadInput):
    """The upload passed the configured size limit (nothing of it is kept)."""


def load_content_key(encoded: str | None, state_dir: Path, *, production: bool = False) -> bytes:
    """The key from config (base64 of 32 bytes), or the development key under ``state_dir``."""
    return load_key(encoded, state_dir / "keys" / "content.key", "TIPGRAPH_CONTENT_KEY",
                    production=production)


def content_key_id(key: bytes) -> bytes:
    """A content key's id: 8 bytes of a hash of it (the key cannot be recovered from it)."""
    return hashlib.sha256(b"tipgraph content key id\0" + key).digest()[:KEY_ID_BYTES]


def load_content_keys(keys: str | None, key: str | None, state_dir: Path, *,
                      production: bool = False) -> tuple[bytes, list[bytes]]:
    """The current content key and the old ones: ``TIPGRAPH_CONTENT_KEYS`` (base64 keys,
    comma-separated, the current one first) or else ``TIPGRAPH_CONTENT_KEY`` alone (or the
    development key); ``ValueError`` for a malformed list."""
    if not keys:
        return load_content_key(key, state_dir, production=production), []
    listed = []
    for number, encoded in enumerate((k.strip() for k in keys.split(",") if k.strip()), 1):
        try:
            listed.append(load_content_key(encoded, state_dir, production=production))
        except ValueError as error:
            raise ValueError(f"TIPGRAPH_CONTENT_KEYS: key {number}: {error}") from None
    if not listed:
        raise ValueError("TIPGRAPH_CONTENT_KEYS names no key")
    if key and load_content_key(key, state_dir, production=production) not in listed:
        raise ValueError("TIPGRAPH_CONTENT_KEY is not among TIPGRAPH_CONTENT_KEYS; set one")
    if len({content_key_id(k) for k in listed}) != len(listed):
        raise ValueError("TIPGRAPH_CONTENT_KEYS names a key twice")
    return listed[0], listed[1:]


class BlobWriter:
    """One upload in progress: hashes and encrypts each chunk into a temporary file."""

    def __init__(self, temporary: Path, key: bytes, limit: int) -> None:
        self.temporary = temporary
        self.limit = limit
        self.size = 0
        self.head = b""  # the first bytes, to tell an image from other content
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._sha1 = hashlib.sha1(usedforsecurity=False)
        self._sha256 = hashlib.sha256()
        nonce = secrets.token_bytes(NONCE_BYTES)
        self._encryptor = Cipher(algorithms.AES(key), modes.GCM(nonce)).encryptor()
        self._file = temporary.open("wb")
        self._file.write(MAGIC + content_key_id(key) + nonce)

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            raise TooLarge(f"the file is larger than the limit of {self.limit} bytes",
                           field="file", details={"limit": self.limit})
        if len(self.head) < HEAD_BYTES:
            self.head += chunk[:HEAD_BYTES - len(self.head)]
        self._md5.update(chunk)
        self._sha1.update(chunk)
        self._sha256.update(chunk)
        self._file.write(self._encryptor.update(chunk))

    def close(self) -> None:
        self._file.write(self._encryptor.finalize() + self._encryptor.tag)
        self._file.close()

    def abort(self) -> None:
        self._file.close()
        self.temporary.unlink(missing_ok=True)

    @property
    def md5(self) -> str:
        return self._md5.hexdigest()

    @property
    def sha1(self) -> str:
        return self._sha1.hexdigest()

    @property
    def address(self) -> str:
        """The SHA-256 of the plaintext: where the blob lives, and ``File.contentRef``."""
        return self._sha256.hexdigest()


class ContentStore:
    def __init__(self, root: Path, key: bytes, old_keys: Iterable[bytes] = ()) -> None:
        self.root = root
        self.key = key  # the current key: every new blob is under it
        self.keys = {content_key_id(k): k for k in [*old_keys, key]}

    def path(self, address: str) -> Path:
        if not CONTENT_ADDRESS.match(address):
            raise ValueError(f"not a content address: {address!r}")
        return self.root / address[:2] / address[2:4] / address

    def open_blob(self, limit: int) -> BlobWriter:
        """A blob to write; then :meth:`keep` it, or ``abort()`` it."""
        incoming = self.root / "incoming"
        incoming.mkdir(parents=True, exist_ok=True)
        return BlobWriter(incoming / uuid.uuid4().hex, self.key, limit)

    def keep(self, blob: BlobWriter) -> None:
        """Finish a blob and put it in place under ``blob.address``."""
        blob.close()
        target = self.path(blob.address)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            blob.temporary.unlink()  # the same bytes are stored already
        else:
            blob.temporary.replace(target)

    def read(self, address: str) -> bytes:
        """The plaintext of a blob (for small reads: tests, packages); raises if tampered."""
        return self._open(address, self.path(address).read_bytes())[1]

    def key_of(self, address: str) -> bytes | None:
        """The id of the key a blob is under (None: written before key ids)."""
        with self.path(address).open("rb") as handle:
            head = handle.read(len(MAGIC) + KEY_ID_BYTES)
        return head[len(MAGIC):] if head.startswith(MAGIC) else None

    def _open(self, address: str, data: bytes) -> tuple[bytes, bytes]:
        """(the key id, the plaintext) of a blob's bytes."""
        if data.startswith(MAGIC):
            key_id = data[len(MAGIC):len(MAGIC) + KEY_ID_BYTES]
            key = self.keys.get(key_id)
            if key is None:
                raise ValueError(f"{address} is under content key {key_id.hex()}, which is not "
                                 "in TIPGRAPH_CONTENT_KEYS")
            return key_id, _decrypt(key, data[len(MAGIC) + KEY_ID_BYTES:])
        if not data.startswith(LEGACY_MAGIC):
            raise ValueError(f"{address} is not a tipgraph content blob")
        for key_id, key in self.keys.items():
            try:
                return key_id, _decrypt(key, data[len(LEGACY_MAGIC):])
            except InvalidTag:
                continue
        raise ValueError(f"{address} opens with none of the configured content keys")

    def rekey(self, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
        """Re-encrypt every blob not under the current key to it (each blob replaced at once,
        by rename: stopping half-way loses nothing, and running again goes on). Returns the
        counts, and which old keys no blob needs any more (those may be retired)."""
        blobs = sorted(p for p in self.root.glob("??/??/*") if CONTENT_ADDRESS.match(p.name))
        current = content_key_id(self.key)
        rekeyed = 0
        incoming = self.root / "incoming"
        incoming.mkdir(parents=True, exist_ok=True)
        for done, path in enumerate(blobs, 1):
            if self.key_of(path.name) != current:
                _, plain = self._open(path.name, path.read_bytes())
                nonce = secrets.token_bytes(NONCE_BYTES)
                encryptor = Cipher(algorithms.AES(self.key), modes.GCM(nonce)).encryptor()
                temporary = incoming / f"rekey-{uuid.uuid4().hex}"
                temporary.write_bytes(MAGIC + current + nonce + encryptor.update(plain)
                                      + encryptor.finalize() + encryptor.tag)
                temporary.replace(path)
                rekeyed += 1
            if progress is not None:
                progress(done, len(blobs))
        still = {k for p in blobs if (k := self.key_of(p.name)) is not None and k != current}
        return {"blobs": len(blobs), "rekeyed": rekeyed, "currentKey": current.hex(),
                "oldKeysStillNeeded": sorted(k.hex() for k in still),
                "retirable": sorted(k.hex() for k in self.keys if k != current and k not in still)}

    def exists(self, address: str) -> bool:
        return self.path(address).exists()

    async def release(self, db: Database, refs: Iterable[str]) -> int:
        """Delete the blobs no ``:File`` refers to any more; returns how many were deleted."""
        unique = sorted(set(refs))
        if not unique:
            return 0
        orphans = await db.read(_orphans_tx, unique)
        deleted = 0
        for address in orphans:
            try:
                path = self.path(address)
            except ValueError:
                log.warning("not a content address, nothing deleted: %r", address[:80])
                continue
            await asyncio.to_thread(path.unlink, missing_ok=True)
            deleted += 1
        return deleted


    async def sweep_orphans(self, db: Database, *, older_than: float) -> dict[str, int]:
        """Delete what no ``:File`` refers to once it is ``older_than`` seconds old: blobs left
        by a crash between storing and committing, and partial uploads in ``incoming/``
        (a crash mid-upload). Younger ones may belong to an upload still under way."""
        partial, candidates = await asyncio.to_thread(self._old_files, time.time() - older_than)
        blobs = 0
        for start in range(0, len(candidates), 1000):
            blobs += await self.release(db, candidates[start:start + 1000])
        return {"orphanBlobs": blobs, "partialUploads": partial}


    def _old_files(self, cutoff: float) -> tuple[int, list[str]]:
        """(partial uploads deleted, addresses of blobs) older than ``cutoff``; walks the
        folder, so it runs in a thread."""
        partial = 0
        incoming = self.root / "incoming"
        for path in incoming.iterdir() if incoming.is_dir() else ():
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                partial += 1
        return partial, [path.name for path in self.root.glob("??/??/*")
                         if path.is_file() and path.stat().st_mtime < cutoff
                         and CONTENT_ADDRESS.match(path.name)]


def _decrypt(key: bytes, sealed: bytes) -> bytes:
    """``nonce | ciphertext | tag`` under ``key``; ``InvalidTag`` if it is not (or was changed)."""
    nonce, body, tag = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:-TAG_BYTES], sealed[-TAG_BYTES:]
    decryptor = Cipher(algorithms.AES(key), modes.GCM(nonce, tag)).decryptor()
    return decryptor.update(body) + decryptor.finalize()


async def _orphans_tx(tx: AsyncManagedTransaction, refs: list[str]) -> list[str]:
    return [record["ref"] for record in await run(tx, STILL_REFERENCED, refs=refs)]
