"""Published statistics (no token needed)."""
