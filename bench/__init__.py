"""Benchmarks and the synthetic data generator. Figures are ratios against a baseline measured
in the same run, printed as JSON; nothing here is a timed test."""
