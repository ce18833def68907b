"""Agencies, jurisdictions and referrals."""
