"""PDQ, the open perceptual hash, of uploaded images.

When bytes arrive through the CyberTipline door's ``/upload``, the server computes PDQ beside
MD5, SHA-1 and SHA-256 (source ``TIPGRAPH``): a resized, re-encoded or slightly cropped copy of
an image lands within a few dozen of its 256 bits, where a cryptographic hash changes entirely.
PDQ forgives little cropping: about 1% off each side stays within the threshold of 31, 2.5% does
not (tests/test_perceptual.py measures both on synthetic pictures).
The hex form is ThreatExchange's (bit 0 first, most significant bit of the first digit), so it
compares with hashes from Hasher-Matcher-Actioner and hotline lists as they are.

Not every upload gets one: content that is not an image Pillow reads, an image over
:data:`MAX_PIXELS` (a decompression bomb is refused before it is decoded), content over
:data:`MAX_BYTES`, and images whose PDQ quality is under :data:`MIN_QUALITY` (flat or nearly
blank images, whose hashes match everything alike; ThreatExchange's own cut-off) get none.
"""

from __future__ import annotations

import io
import warnings
from typing import Final

import numpy as np
import pdqhash
from PIL import Image, UnidentifiedImageError

MAX_BYTES: Final = 64 * 2 ** 20
MAX_PIXELS: Final = 50_000_000
MIN_QUALITY: Final = 50
ALGORITHM: Final = "PDQ"


# The signatures of the formats worth decoding (JPEG, PNG, GIF, BMP, WebP, TIFF): anything else
# is not read back from the store at all.
SIGNATURES: Final = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"BM",
                     b"II*\x00", b"MM\x00*")


def looks_like_image(head: bytes) -> bool:
    """Whether content starting with ``head`` may be an image PDQ can hash."""
    return head.startswith(SIGNATURES) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")


def pdq_of(data: bytes) -> str | None:
    """The PDQ hash of an image's bytes as 64 hexadecimal digits, or ``None`` (see above)."""
    if len(data) > MAX_BYTES:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > MAX_PIXELS:
                    return None
                pixels = np.asarray(image.convert("RGB"))
    except (UnidentifiedImageError, Image.DecompressionBombError,
            Image.DecompressionBombWarning, OSError, ValueError, SyntaxError, EOFError):
        return None
    vector, quality = pdqhash.compute(pixels)
    if quality < MIN_QUALITY:
        return None
    return np.packbits(np.asarray(vector, dtype=np.uint8)).tobytes().hex()
