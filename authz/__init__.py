"""Who may do what: tokens become a frozen Principal; roles, scopes and row rules."""
