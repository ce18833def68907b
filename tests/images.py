"""Synthetic pictures for the perceptual-hash tests: coloured rectangles on a gradient, from a
seed (no real image is ever used)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


def picture(seed: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A synthetic picture: coloured rectangles and a gradient, from ``seed``."""
    rng = np.random.default_rng(seed)
    height, width = size[1], size[0]
    pixels = np.zeros((height, width, 3), dtype=np.float64)
    pixels += np.linspace(0, 60, width)[None, :, None]
    for _ in range(40):
        x, y = int(rng.integers(0, width - 20)), int(rng.integers(0, height - 20))
        w, h = int(rng.integers(20, width // 3)), int(rng.integers(20, height // 3))
        pixels[y:y + h, x:x + w] = rng.integers(0, 256, size=3)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def encoded(image: Image.Image, kind: str = "PNG", **options: int) -> bytes:
    out = io.BytesIO()
    image.save(out, kind, **options)
    return out.getvalue()


def distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()
