"""Identifiers: e-mails, phones, IPs, accounts, URLs, devices and hashes shared by reports."""
