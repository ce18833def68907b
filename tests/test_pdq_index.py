"""The PDQ index finds exactly what brute force finds, at every distance up to the radius, and
survives a save, a load, an addition and a removal."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from graph.matching.pdq_index import BITS, BYTES, PdqIndex, codes, parse_pdq

Codes = npt.NDArray[np.uint8]


def brute_force(stored: Codes, ids: list[int], query: Codes, radius: int) -> list[tuple[int, int]]:
    distances = np.unpackbits(np.bitwise_xor(stored, query), axis=1).sum(axis=1)
    return sorted(((ids[i], int(d)) for i, d in enumerate(distances) if d <= radius),
                  key=lambda p: (p[1], p[0]))


def flipped(code: Codes, bits: int, rng: np.random.Generator) -> Codes:
    changed = np.unpackbits(code.copy())
    positions = rng.choice(BITS, size=bits, replace=False)
    changed[positions] ^= 1
    return np.packbits(changed)


@pytest.fixture
def stored() -> tuple[Codes, list[int]]:
    rng = np.random.default_rng(2026)
    hashes = rng.integers(0, 256, size=(3_000, BYTES), dtype=np.uint8)
    return hashes, [10_000 + i for i in range(len(hashes))]


def test_every_hash_within_the_radius_is_found_and_no_other(
        stored: tuple[Codes, list[int]]) -> None:
    hashes, ids = stored
    rng = np.random.default_rng(7)
    index = PdqIndex()
    index.add(ids, hashes)
    # copies of stored hashes at every distance around the threshold, and unrelated hashes
    queries = [flipped(hashes[int(rng.integers(len(hashes)))], bits, rng)
               for bits in (0, 1, 15, 30, 31, 32, 33, 60) for _ in range(10)]
    queries += list(rng.integers(0, 256, size=(20, BYTES), dtype=np.uint8))
    found = index.within(np.stack(queries), radius=31)
    expected = [brute_force(hashes, ids, q, 31) for q in queries]
    assert found == expected
    assert sum(map(len, found)) >= 50  # the near copies are there (0..31 bits: 60 of them)
    distances = {d for f in found for _, d in f}
    assert 31 in distances
    assert 32 not in distances


def test_a_radius_is_settable(stored: tuple[Codes, list[int]]) -> None:
    hashes, ids = stored
    index = PdqIndex()
    index.add(ids, hashes)
    near = flipped(hashes[5], 10, np.random.default_rng(1))[None, :]
    assert index.within(near, radius=10) == [[(ids[5], 10)]]
    assert index.within(near, radius=9) == [[]]
    with pytest.raises(ValueError, match="a radius is between"):
        index.within(near, radius=BITS)


def test_saved_loaded_added_and_removed(tmp_path: Path,
                                         stored: tuple[Codes, list[int]]) -> None:
    hashes, ids = stored
    index = PdqIndex()
    index.add(ids[:2_000], hashes[:2_000])
    index.save(tmp_path)
    loaded = PdqIndex.load(tmp_path)
    assert len(loaded) == 2_000
    loaded.add(ids[2_000:], hashes[2_000:])  # incremental
    assert loaded.within(hashes[2_500:2_501]) == [[(ids[2_500], 0)]]
    assert loaded.remove([ids[2_500], ids[7], 999]) == 2
    assert loaded.within(hashes[2_500:2_501]) == [[]]
    assert loaded.within(hashes[8:9]) == [[(ids[8], 0)]]  # its neighbours keep their ids
    loaded.save(tmp_path)
    again = PdqIndex.load(tmp_path)
    assert len(again) == len(hashes) - 2
    assert again.within(hashes[2_999:3_000]) == [[(ids[2_999], 0)]]
    assert len(PdqIndex.load(tmp_path / "none")) == 0


def test_bad_hashes_are_refused() -> None:
    assert parse_pdq("ab" * BYTES) == bytes([0xAB]) * BYTES
    for bad in ("ab" * (BYTES - 1), "zz" * BYTES, ""):
        with pytest.raises(ValueError, match="a PDQ hash is"):
            parse_pdq(bad)
    with pytest.raises(ValueError, match="a PDQ hash is"):
        codes([b"short"])
    with pytest.raises(ValueError, match="hashes must be"):
        PdqIndex().add([1, 2], codes([b"\0" * BYTES]))
