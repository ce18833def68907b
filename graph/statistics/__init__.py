"""Published statistics, with small cells suppressed."""
