"""Referrals: agencies and their jurisdictions, referrals, outcomes, and referral packages."""
