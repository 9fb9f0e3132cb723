"""The permission ledger."""
