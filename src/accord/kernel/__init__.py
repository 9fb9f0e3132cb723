"""Shared foundations: the store, money, the clock and the audit trail."""
