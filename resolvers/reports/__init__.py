"""Reports: ESP intake, lookups and lists."""
