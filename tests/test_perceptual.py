"""PDQ for uploaded content: a resized, re-encoded or slightly cropped copy (under 1% off a side)
of a synthetic picture lands within the threshold of the original, an unrelated picture far
outside it; content that is not an image, is blank, or claims a bomb's size gets no PDQ. Through
/ispws/upload, the hash sits beside MD5, SHA-1 and SHA-256 with source TIPGRAPH."""

from __future__ import annotations

import struct
import zlib

from PIL import Image

from authz.roles import Role
from graph.matching.pdq_index import DEFAULT_RADIUS
from graph.matching.perceptual import pdq_of
from tests.conftest import Api, Tokens
from tests.cybertipline import REFERENCE_REPORT, Ispws, synthetic_bytes
from tests.images import distance, encoded, picture


def bomb() -> bytes:
    """A PNG header claiming 100,000 by 100,000 pixels (and nothing to decode)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body)))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100_000, 100_000,
                                                               8, 0, 0, 0, 0))
            + chunk(b"IEND", b""))


def test_copies_match_and_strangers_do_not() -> None:
    original = picture(1)
    hashed = pdq_of(encoded(original))
    assert hashed is not None
    assert len(hashed) == 64
    width, height = original.size
    copies = {
        "resized": encoded(original.resize((width // 2, height // 2))),
        "re-encoded": encoded(original, "JPEG", quality=60),
        # PDQ forgives about 1% off each side (here 0.8%); at 2.5% this picture is 58 bits away
        "cropped": encoded(original.crop((5, 4, width - 5, height - 4))),
        "all three": encoded(original.crop((4, 3, width - 4, height - 3)).resize((400, 300)),
                             "JPEG", quality=70),
    }
    for name, data in copies.items():
        copy = pdq_of(data)
        assert copy is not None, name
        assert distance(hashed, copy) <= DEFAULT_RADIUS, name
    for seed in (2, 3, 4):
        stranger = pdq_of(encoded(picture(seed)))
        assert stranger is not None
        assert distance(hashed, stranger) > DEFAULT_RADIUS * 2, seed


def test_no_pdq_for_what_is_not_a_usable_image() -> None:
    assert pdq_of(synthetic_bytes(10_000)) is None
    assert pdq_of(b"") is None
    assert pdq_of(encoded(Image.new("RGB", (300, 200), (128, 128, 128)))) is None  # blank
    assert pdq_of(bomb()) is None
    assert pdq_of(encoded(picture(1))[:2_000]) is None  # truncated


async def uploaded_hashes(ispws: Ispws, api: Api, tokens: Tokens,
                          data: bytes) -> dict[str, tuple[str, str]]:
    opened = await ispws.submit(REFERENCE_REPORT)
    report_id = opened.fields["reportId"]
    assert (await ispws.upload(report_id, data)).code == 0
    assert (await ispws.finish(report_id)).code == 0
    body = await api.gql("""query($id: ID!) { report(id: $id) {
        files { hashes { algorithm value source } } } }""", {"id": report_id},
                         token=tokens.mint(Role.ANALYST))
    [file] = body["data"]["report"]["files"]
    return {h["algorithm"]: (h["value"], h["source"]) for h in file["hashes"]}


async def test_uploads_get_pdq_beside_the_cryptographic_hashes(
        ispws: Ispws, api: Api, tokens: Tokens) -> None:
    original = picture(5)
    first = await uploaded_hashes(ispws, api, tokens, encoded(original))
    assert set(first) == {"MD5", "SHA1", "SHA256", "PDQ"}
    assert {source for _, source in first.values()} == {"TIPGRAPH"}
    copy = await uploaded_hashes(ispws, api, tokens,
                                 encoded(original.resize((320, 240)), "JPEG", quality=70))
    assert copy["SHA256"] != first["SHA256"]
    assert distance(copy["PDQ"][0], first["PDQ"][0]) <= DEFAULT_RADIUS
    stranger = await uploaded_hashes(ispws, api, tokens, encoded(picture(6)))
    assert distance(stranger["PDQ"][0], first["PDQ"][0]) > DEFAULT_RADIUS
    assert set(await uploaded_hashes(ispws, api, tokens, synthetic_bytes(5_000))) == {
        "MD5", "SHA1", "SHA256"}
