"""The event log behind live subscriptions."""
