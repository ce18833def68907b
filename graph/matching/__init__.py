"""Matching files against what is already known: hash lists and near-duplicates (PDQ)."""
