"""Referrals seen from the agency's side: outcome feedback, referral packages, live events."""
