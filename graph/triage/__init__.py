"""Analyst work: the queue, priority and disposition, file labels with their provenance, notes
and enrichment."""
