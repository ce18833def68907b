"""Symmetric keys from settings (base64 of 32 bytes), or development keys under the state dir.

Production refuses to start without the setting (``api.app``); a development key is made once,
by whichever process gets there first, and kept with mode 0600.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hmac
import os
import secrets
import uuid
from pathlib import Path
from typing import Final

KEY_BYTES: Final = 32


def load_key(encoded: str | None, development_file: Path, setting: str, *,
             production: bool = False) -> bytes:
    """The key from ``encoded``, else the development key in ``development_file``. In
    production the configured key must not be the development key (compared by content)."""
    if encoded:
        try:
            key = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            key = b""
        if len(key) != KEY_BYTES:
            raise ValueError(f"{setting} must be the base64 of {KEY_BYTES} bytes")
        if production and development_file.exists() and hmac.compare_digest(
                base64.b64decode(development_file.read_bytes()), key):
            raise ValueError(f"{setting} is the development key; production needs its own")
        return key
    if not development_file.exists():
        development_file.parent.mkdir(parents=True, exist_ok=True)
        temporary = development_file.with_suffix(f".{uuid.uuid4().hex}")
        temporary.write_bytes(base64.b64encode(secrets.token_bytes(KEY_BYTES)))
        temporary.chmod(0o600)
        with contextlib.suppress(FileExistsError):
            os.link(temporary, development_file)  # the first process to get here wins
        temporary.unlink()
    return base64.b64decode(development_file.read_bytes())
