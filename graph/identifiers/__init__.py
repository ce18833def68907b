"""Identifiers: normalised identity, keyed public ids, and cross-references between reports."""
