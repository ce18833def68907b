"""Referral packages: what an investigator receives for one report, as a readable PDF and a JSON
document with the same content, both signed (Ed25519) so that anyone can check them and name
what changed. See :mod:`graph.referrals.packages.service`."""
