"""Signing keys from an identity provider's JWKS URL, cached by ``kid``.

An unknown ``kid`` triggers a refetch, at most once every ``min_refetch_seconds``, so a
flood of tokens with made-up key ids cannot turn into a flood of requests to the provider.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from typing import Any

import jwt

from graph.core.errors import Unauthenticated


class JwksKeys:
    def __init__(self, url: str, *, min_refetch_seconds: float = 30.0,
                 timeout: float = 5.0) -> None:
        if not url.startswith(("https://", "http://")):
            raise ValueError("TIPGRAPH_JWT_JWKS_URL must be an http(s) URL")
        self.url = url
        self.min_refetch_seconds = min_refetch_seconds
        self.timeout = timeout
        self.fetches = 0
        self._keys: dict[str, Any] = {}
        self._last_fetch = float("-inf")
        self._lock = asyncio.Lock()

    def _download(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.url, timeout=self.timeout) as response:  # noqa: S310
            document: dict[str, Any] = json.loads(response.read(1_000_000))
            return document

    async def _refresh(self) -> None:
        self._last_fetch = time.monotonic()
        self.fetches += 1
        try:
            document = await asyncio.to_thread(self._download)
            keys = jwt.PyJWKSet.from_dict(document).keys
        except (OSError, ValueError, jwt.PyJWTError):
            return  # keep the keys we have; the next refetch window tries again
        self._keys = {key.key_id: key.key for key in keys if key.key_id}

    async def key_for(self, kid: str | None) -> Any:
        if kid is None:
            raise Unauthenticated("the token names no key (kid)")
        if kid not in self._keys:
            async with self._lock:
                if (kid not in self._keys
                        and time.monotonic() - self._last_fetch >= self.min_refetch_seconds):
                    await self._refresh()
        if kid not in self._keys:
            raise Unauthenticated("the token's key is unknown")
        return self._keys[kid]
