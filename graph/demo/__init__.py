"""Synthetic data: report documents shaped like real tips, and the demo seed."""
