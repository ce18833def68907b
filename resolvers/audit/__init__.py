"""The audit trail, for auditors."""
