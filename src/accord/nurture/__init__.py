"""Follow-up tasks, cadences and referrals."""
