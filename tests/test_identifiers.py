"""Identifier identity: the normalisation rules (pure functions, no database)."""

from __future__ import annotations

import hashlib

import pytest

from graph.core.errors import BadInput
from graph.identifiers.identity import (
    IdentifierKind,
    normalise,
    normalise_device_id,
    normalise_email,
    normalise_esp_account,
    normalise_hash,
    normalise_ip,
    normalise_phone,
    normalise_screen_name,
    normalise_url,
)
from graph.identifiers.keyed_ids import IdentifierIds
from tests.helpers import IDS


@pytest.mark.parametrize(("raw", "value"), [
    ("Alice@Example.COM", "alice@example.com"),
    ("  bob.smith+tag@EXAMPLE.org ", "bob.smith+tag@example.org"),
    ("user@bücher.example", "user@xn--bcher-kva.example"),
])
def test_emails_are_lower_cased_with_an_idna_domain(raw: str, value: str) -> None:
    assert normalise_email(raw).value == value


@pytest.mark.parametrize("raw", ["no-at-sign", "@example.com", "a@", "a..b@example.com",
                                 "a b@example.com", "x" * 65 + "@example.com", "a@localhost"])
def test_malformed_emails_are_refused(raw: str) -> None:
    with pytest.raises(BadInput):
        normalise_email(raw)


@pytest.mark.parametrize(("raw", "code", "value"), [
    ("+1 415 555 0100", None, "+14155550100"),
    ("(415) 555-0100", None, "+14155550100"),
    ("415 555 0100", "+1", "+14155550100"),
    ("020 7946 0000", "+44", "+442079460000"),
])
def test_phones_are_e164(raw: str, code: str | None, value: str) -> None:
    assert normalise_phone(raw, code).value == value


def test_impossible_phones_are_refused() -> None:
    for raw in ("12", "not a number", "+1 415"):
        with pytest.raises(BadInput):
            normalise_phone(raw)
    with pytest.raises(BadInput, match="countryCallingCode"):
        normalise_phone("4155550100", "1")


@pytest.mark.parametrize(("raw", "value"), [
    ("203.0.113.7", "203.0.113.7"),
    ("::ffff:203.0.113.7", "203.0.113.7"),
    ("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
])
def test_ips_are_canonical(raw: str, value: str) -> None:
    assert normalise_ip(raw).value == value


@pytest.mark.parametrize("raw", ["999.0.0.1", "1.2.3", "203.0.113.7/24", "example.com", ""])
def test_invalid_ips_are_refused(raw: str) -> None:
    with pytest.raises(BadInput):
        normalise_ip(raw)


@pytest.mark.parametrize(("raw", "value"), [
    ("HTTPS://Example.COM/Path?Q=1#frag", "https://example.com/Path?Q=1"),
    ("http://example.com:80", "http://example.com/"),
    ("https://example.com:8443/x", "https://example.com:8443/x"),
    ("http://[2001:DB8::1]/", "http://[2001:db8::1]/"),
])
def test_urls_lower_case_scheme_and_host_only(raw: str, value: str) -> None:
    assert normalise_url(raw).value == value


@pytest.mark.parametrize("raw", ["javascript:alert(1)", "example.com/x", "https://", "mailto:a@b.c",
                                 "http://example.com:99999/"])
def test_invalid_urls_are_refused(raw: str) -> None:
    with pytest.raises(BadInput):
        normalise_url(raw)


def test_screen_names_and_accounts_are_scoped_to_their_service() -> None:
    chat = normalise_screen_name("Shadow_Fox", "ExampleChat")
    same = normalise_screen_name("shadow_fox", "examplechat")
    other = normalise_screen_name("shadow_fox", "ExamplePhotos")
    assert chat.key == same.key
    assert chat.key != other.key
    assert normalise_esp_account("U-1", "ExampleChat").key != normalise_esp_account(
        "u-1", "ExampleChat").key  # ESP account ids are case-sensitive


@pytest.mark.parametrize(("algorithm", "raw", "value"), [
    ("MD5", "9E107D9D372BB6826BD81D3542A419D6", "9e107d9d372bb6826bd81d3542a419d6"),
    ("sha-1", "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12",
     "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12"),
    ("SHA256", "A" * 64, "a" * 64),
])
def test_hashes_are_lower_hex_tagged_with_their_algorithm(algorithm: str, raw: str,
                                                          value: str) -> None:
    normalised = normalise_hash(algorithm, raw)
    assert normalised.value == value
    assert normalised.scope in {"MD5", "SHA1", "SHA256"}


def test_the_same_digest_under_two_algorithms_is_two_identifiers() -> None:
    assert normalise_hash("SHA256", "a" * 64).key != normalise_hash("PDQ", "a" * 64).key


@pytest.mark.parametrize(("algorithm", "raw"), [
    ("MD5", "abc"), ("MD5", "g" * 32), ("SHA1", "a" * 32), ("ROT13", "short"),
    ("MD5; DROP", "a" * 32), ("", "a" * 32), ("PhotoDNA", "x" * 1025)])
def test_bad_hashes_are_refused(algorithm: str, raw: str) -> None:
    with pytest.raises(BadInput):
        normalise_hash(algorithm, raw)


def test_other_algorithms_are_kept_as_given() -> None:
    """C.2 allows any hashType: a PhotoDNA or vendor hash links files by its exact value."""
    photodna = normalise_hash("PhotoDNA", " AbC+/0123456789== ")
    assert (photodna.scope, photodna.value) == ("PHOTODNA", "AbC+/0123456789==")
    assert photodna.key != normalise_hash("photodna", "abc+/0123456789==").key


def test_device_ids_are_tagged_with_their_type() -> None:
    assert normalise_device_id("imei", " 490154203237518 ").key == (
        "DEVICE_ID:IMEI:490154203237518")


def test_ids_are_keyed_and_stable() -> None:
    first = normalise(IdentifierKind.EMAIL, "Alice@Example.COM")
    same = normalise(IdentifierKind.EMAIL, "alice@example.com")
    assert IDS.of(first.key) == IDS.of(same.key)
    assert "alice" not in IDS.of(first.key)
    # without the key, the value's unkeyed hash does not find the id (it did before V0010)
    unkeyed = "idf_" + hashlib.sha256(first.key.encode()).hexdigest()[:24]
    assert IDS.of(first.key) != unkeyed
    assert IdentifierIds(b"another key" * 3).of(first.key) != IDS.of(first.key)
